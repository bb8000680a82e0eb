"""Orders in DynamoDB: one item per order, keyed by order_id."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

TABLE = os.environ.get("ORDERS_TABLE", "lab04-orders")

# "Fail fast": no retries, so a problem shows at once instead of hiding behind a slow call.
_dynamodb = boto3.client("dynamodb", config=Config(retries={"total_max_attempts": 1}))


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


def save_order(order: dict[str, Any]) -> None:
    _dynamodb.put_item(TableName=TABLE, Item=_typed(order))


def get_order(order_id: str) -> dict[str, Any] | None:
    item = _dynamodb.get_item(TableName=TABLE, Key={"order_id": {"S": order_id}}).get("Item")
    return None if item is None else _plain(item)


def _typed(order: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed form: strings as {"S": ...}, numbers as {"N": "..."}."""
    return {k: {"N": str(v)} if isinstance(v, int) else {"S": str(v)} for k, v in order.items()}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: int(v["N"]) if "N" in v else v["S"] for k, v in item.items()}
