"""The events table: one item per processed record, written at most once."""

from __future__ import annotations

import functools
import hashlib
import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from log import log_event


@functools.cache
def _table() -> Any:
    # Built on first use, not at import: the endpoint and table come from the environment,
    # read first, so that a function configured without it fails before loading the SDK.
    # The SDK is imported here: the unit tests, which replace put_event, never load it
    # (importing boto3 is most of a test run's time, and a pipeline runs them often).
    name = os.environ["EVENTS_TABLE"]
    import boto3

    return boto3.resource("dynamodb").Table(name)


def deterministic_id(*parts: object) -> str:
    """The same record always gets the same id (idempotency across redeliveries)."""
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def put_event(event_id: str, event_type: str, source: str, data: Any, timestamp: str = "") -> bool:
    """Store one event; False (and nothing written) when it was stored before."""
    item = {
        "event_id": event_id,
        "event_type": event_type,
        "source": source,
        "timestamp": timestamp or now(),
        "data": to_dynamo(data),
        "processed": True,
        "processed_at": now(),
    }
    table = _table()
    from botocore.exceptions import ClientError  # loaded with the SDK by _table()

    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(event_id)")
    except ClientError as err:
        if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
            log_event("duplicate ignored", event_id=event_id, event_type=event_type)
            return False
        raise
    log_event("stored", event_id=event_id, event_type=event_type, source=source)
    return True


def query_by_type(event_type: str, limit: int) -> list[dict[str, Any]]:
    from boto3.dynamodb.conditions import Key

    result = _table().query(
        IndexName=os.environ.get("EVENTS_INDEX", "by-type"),
        KeyConditionExpression=Key("event_type").eq(event_type),
        ScanIndexForward=False,
        Limit=limit,
    )
    return [from_dynamo(item) for item in result.get("Items", [])]


def to_dynamo(value: Any) -> Any:
    """DynamoDB has no float: numbers become Decimal, recursively."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_dynamo(v) for v in value]
    return value


def from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    return value
