"""The events table (EVENTS_TABLE): one item per processed event.

Every item has the same shape, whatever its source:
    event_id, event_type, source, timestamp, data, processed, processed_at
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
from log import log_event


@functools.cache
def _table() -> Any:
    # Built on first use, not at import: the endpoint and table come from the environment.
    return boto3.resource("dynamodb").Table(os.environ["EVENTS_TABLE"])


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def put_event(event_id: str, event_type: str, source: str, data: Any, timestamp: str = "") -> None:
    """Store one event. An item with the same event_id is overwritten."""
    item = {
        "event_id": event_id,
        "event_type": event_type,
        "source": source,
        "timestamp": timestamp or now(),
        "data": to_dynamo(data),
        "processed": True,
        "processed_at": now(),
    }
    _table().put_item(Item=item)
    log_event("stored", event_id=event_id, event_type=event_type, source=source)


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
