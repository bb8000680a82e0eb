"""Small browsers for the labs and the TUI: DynamoDB items, S3 objects, SQS depths."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from sandbox.aws.clients import client, translated
from sandbox.aws.names import Names

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as plain, JSON-ready Python: numbers as int or float, sets as lists,
    binary as base64 text (as the AWS CLI and console show it)."""
    deserializer = _deserializer()
    return {key: _readable(deserializer.deserialize(value)) for key, value in item.items()}


@functools.cache
def _deserializer() -> TypeDeserializer:
    from boto3.dynamodb.types import TypeDeserializer  # imports boto3: only once items are read

    return TypeDeserializer()


def _readable(value: Any) -> Any:
    import base64
    from decimal import Decimal

    from boto3.dynamodb.types import Binary

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):  # its str() is bytes: json.dumps(default=str) fails on it
        return base64.b64encode(bytes(value)).decode()  # type: ignore[call-overload]  # stubs: str
    if isinstance(value, dict):
        return {k: _readable(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_readable(v) for v in value]
    return value


def scan_items(
    ddb: Any, table: str, limit: int | None = None, **query: Any
) -> list[dict[str, Any]]:
    """Every item (or the first `limit`), following pages; `query` adds e.g. a filter."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, **query}
    while limit is None or len(items) < limit:
        page = ddb.scan(**kwargs)
        items.extend(plain(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return items if limit is None else items[:limit]


def ddb_scan(endpoint: str, table: str, limit: int = 100) -> list[dict[str, Any]]:
    with translated(f"scan {table}", endpoint):
        items = scan_items(client("dynamodb", endpoint), table, limit)
    return sorted(items, key=lambda i: str(i.get("timestamp", "")), reverse=True)


def ddb_tables(endpoint: str) -> list[str]:
    with translated("list tables", endpoint):
        return list(client("dynamodb", endpoint).list_tables().get("TableNames", []))


def s3_list(endpoint: str, bucket: str | None = None) -> list[dict[str, Any]]:
    s3 = client("s3", endpoint)
    with translated("list S3", endpoint):
        if bucket is None:
            return [{"bucket": b["Name"]} for b in s3.list_buckets().get("Buckets", [])]
        objects = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return [{"key": o["Key"], "size": o["Size"], "modified": str(o["LastModified"])}
            for o in objects]  # fmt: skip


def sqs_depths(endpoint: str, names: Names | None = None) -> list[dict[str, Any]]:
    """Every queue with its visible and in-flight message counts; DLQs flagged."""
    names = names or Names()
    sqs = client("sqs", endpoint)
    with translated("read queue depths", endpoint):
        urls = sqs.list_queues().get("QueueUrls", [])
        rows = [_depth(sqs, url) for url in urls]
    for row in rows:
        row["dead_letter"] = row["queue"].endswith("-dlq")
    return rows


def _depth(sqs: Any, url: str) -> dict[str, Any]:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return {
        "queue": url.rsplit("/", 1)[-1],
        "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }
