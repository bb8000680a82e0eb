"""Orders in DynamoDB: one item per order, keyed by order_id.

DynamoDB throttles (ProvisionedThroughputExceededException, ThrottlingException) and has
bad moments (5xx). The SDK retries those for us when we let it. boto3's "legacy" mode (its
default) has a policy of DynamoDB's own: 50 ms, then doubling, up to MAX_ATTEMPTS attempts.
"standard" mode (the same in every AWS SDK, with a retry quota) rides it out too, but waits
a random time up to 1 s, 2 s, 4 s... after each throttle: under 30% throttling an order
now and then waited 10 to 30 s.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

TABLE = os.environ.get("ORDERS_TABLE", "lab04-orders")
MAX_ATTEMPTS = 10

_dynamodb = boto3.client(
    "dynamodb", config=Config(retries={"mode": "legacy", "total_max_attempts": MAX_ATTEMPTS})
)


def ensure_table() -> None:
    """Create the table when it is missing (every process tries; the first one wins)."""
    try:
        _dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as err:
        if err.response["Error"]["Code"] != "ResourceInUseException":
            raise


def save_order(order: dict[str, Any]) -> bool:
    """Store the order unless one with its order_id exists; False when it did.

    Conditional, so that the SDK retrying a write that did succeed (its answer was lost)
    cannot store the order twice either."""
    try:
        _dynamodb.put_item(
            TableName=TABLE,
            Item=_typed(order),
            ConditionExpression="attribute_not_exists(order_id)",
        )
    except ClientError as err:
        if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_order(order_id: str) -> dict[str, Any] | None:
    item = _dynamodb.get_item(TableName=TABLE, Key={"order_id": {"S": order_id}}).get("Item")
    return None if item is None else _plain(item)


def _typed(order: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed form: strings as {"S": ...}, numbers as {"N": "..."}."""
    return {k: {"N": str(v)} if isinstance(v, int) else {"S": str(v)} for k, v in order.items()}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: int(v["N"]) if "N" in v else v["S"] for k, v in item.items()}
