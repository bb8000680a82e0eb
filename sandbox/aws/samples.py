"""Realistic sample events for each source, in the shapes AWS delivers them (the style of
`sam local generate-event`), parameterised by the sandbox's resource names."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from sandbox.aws.names import ACCOUNT, REGION, Names
from sandbox.errors import ConfigError


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def s3(names: Names, kind: str = "put", key: str = "incoming/report 2026.csv") -> dict[str, Any]:
    event_name = {"put": "ObjectCreated:Put", "delete": "ObjectRemoved:Delete"}[kind]
    obj: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "sequencer": uuid.uuid4().hex[:16].upper(),
    }
    if kind == "put":
        obj.update(size=1024, eTag="0123456789abcdef0123456789abcdef")
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
        "eventTime": _now(), "eventName": event_name,
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "to-processor",
               "bucket": {"name": names.bucket, "arn": f"arn:aws:s3:::{names.bucket}"},
               "object": obj},
    }]}  # fmt: skip


def sqs(names: Names, kind: str = "receive-message", body: Any = None) -> dict[str, Any]:
    payload = body if body is not None else {"event_type": "order.created", "order_id": "o-1001"}
    return {"Records": [{
        "messageId": str(uuid.uuid4()), "receiptHandle": "sample-receipt-handle",
        "body": json.dumps(payload), "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": names.queue_arn(names.queue), "awsRegion": REGION,
    }]}  # fmt: skip


def sns(names: Names, kind: str = "notification", message: Any = None) -> dict[str, Any]:
    payload = message if message is not None else {"event_type": "user.signed_up", "user": "ada"}
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": f"{names.topic_arn}:{uuid.uuid4()}",
        "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()),
                "TopicArn": names.topic_arn, "Subject": "sample", "Message": json.dumps(payload),
                "Timestamp": _now(), "MessageAttributes": {}},
    }]}  # fmt: skip


def eventbridge(names: Names, kind: str = "order", detail: Any = None) -> dict[str, Any]:
    source, detail_type = {"order": ("myapp.orders", "order.created"),
                           "user": ("myapp.users", "user.updated")}[kind]  # fmt: skip
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": source,
        "account": ACCOUNT, "time": _now(), "region": REGION, "resources": [],
        "detail": detail if detail is not None else {"order_id": "o-1001", "total": 42.5},
    }  # fmt: skip


def dynamodb(names: Names, kind: str = "insert", order_id: str = "o-1001") -> dict[str, Any]:
    new = {"order_id": {"S": order_id}, "status": {"S": "paid"}, "total": {"N": "42.5"}}
    old = {"order_id": {"S": order_id}, "status": {"S": "new"}, "total": {"N": "42.5"}}
    images = {"insert": {"NewImage": new}, "modify": {"NewImage": new, "OldImage": old},
              "remove": {"OldImage": old}}[kind]  # fmt: skip
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{names.orders_table}/stream/sample"
    return {"Records": [{
        "eventID": uuid.uuid4().hex, "eventName": kind.upper(), "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": REGION, "eventSourceARN": arn,
        "dynamodb": {"Keys": {"order_id": {"S": order_id}}, "SequenceNumber": "100",
                     "SizeBytes": 64, "StreamViewType": "NEW_AND_OLD_IMAGES", **images},
    }]}  # fmt: skip


def api(names: Names, kind: str = "post", body: Any = None) -> dict[str, Any]:
    method = {"post": "POST", "get": "GET"}[kind]
    payload = body if body is not None else {"event_type": "order.created",
                                             "data": {"order_id": "o-1001"}}  # fmt: skip
    return {
        "resource": "/events", "path": "/events", "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": {"event_type": "order.created"} if method == "GET" else None,
        "body": json.dumps(payload) if method == "POST" else None, "isBase64Encoded": False,
        "requestContext": {"requestId": str(uuid.uuid4()), "stage": names.stage,
                           "httpMethod": method, "resourcePath": "/events"},
    }  # fmt: skip


SAMPLES: dict[str, tuple[Callable[..., dict[str, Any]], tuple[str, ...]]] = {
    "s3": (s3, ("put", "delete")),
    "sqs": (sqs, ("receive-message",)),
    "sns": (sns, ("notification",)),
    "eventbridge": (eventbridge, ("order", "user")),
    "dynamodb": (dynamodb, ("insert", "modify", "remove")),
    "api": (api, ("post", "get")),
}


def sample(
    source: str, kind: str | None = None, names: Names | None = None, payload: Any = None
) -> dict[str, Any]:
    """A sample event; `payload` replaces the default body (the S3 key, the SQS body, the SNS
    message, the EventBridge detail, the DynamoDB order id, or the API request body)."""
    if source not in SAMPLES:
        raise ConfigError(f"no sample for {source!r}", f"use one of: {', '.join(SAMPLES)}")
    build, kinds = SAMPLES[source]
    if kind is not None and kind not in kinds:
        raise ConfigError(
            f"{source} has no sample type {kind!r}", f"use one of: {', '.join(kinds)}"
        )
    if payload is None:
        return build(names or Names(), kind or kinds[0])
    return build(names or Names(), kind or kinds[0], payload)
