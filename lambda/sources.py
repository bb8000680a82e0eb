"""Recognising an event's source by its shape, and one handler per source."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from attribute_values import plain
from log import log_event
from store import deterministic_id, put_event

RECORD_SOURCES = {"aws:s3": "s3", "aws:sqs": "sqs", "aws:dynamodb": "dynamodb", "aws:sns": "sns"}


def kind_of(event: dict[str, Any]) -> str:
    if "httpMethod" in event and "requestContext" in event:
        return "api"
    if "detail-type" in event and "source" in event:
        return "eventbridge"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        return RECORD_SOURCES.get(
            first.get("eventSource") or first.get("EventSource", ""), "unknown"
        )
    return "unknown"


def handle_s3(event: dict[str, Any]) -> dict[str, int]:
    stored = 0
    for record in event["Records"]:
        s3 = record["s3"]
        bucket, obj = s3["bucket"]["name"], s3["object"]
        key = unquote_plus(obj["key"])  # S3 sends keys URL-encoded: spaces as +, unicode as %XX
        name = record["eventName"]
        event_id = deterministic_id("s3", bucket, key, name, obj.get("sequencer", ""))
        data = {
            "bucket": bucket,
            "key": key,
            "size": obj.get("size", 0),
            "etag": obj.get("eTag", ""),
        }
        stored += put_event(event_id, f"s3:{name}", "aws:s3", data, record.get("eventTime", ""))
    return {"stored": stored}


def handle_sqs(event: dict[str, Any]) -> dict[str, Any]:
    """Store each message; report only the failed ones so the good ones are not redelivered."""
    failures = []
    for record in event["Records"]:
        try:
            body = _message_body(record["body"])
        except ValueError as err:
            log_event(
                "poison message", level="ERROR", message_id=record["messageId"], error=str(err)
            )
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        event_type = str(body.get("event_type", "sqs.message"))
        put_event(deterministic_id("sqs", record["messageId"]), event_type, "aws:sqs", body)
    return {"batchItemFailures": failures}


def _message_body(raw: str) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ValueError(f"body is not JSON: {err.msg}") from err
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def handle_sns(event: dict[str, Any]) -> dict[str, int]:
    stored = 0
    for record in event["Records"]:
        sns = record["Sns"]
        message = _maybe_json(sns.get("Message", ""))
        data = {"topic_arn": sns.get("TopicArn", ""), "subject": sns.get("Subject") or "",
                "message": message}  # fmt: skip
        event_type = (
            message.get("event_type", "sns.notification")
            if isinstance(message, dict)
            else "sns.notification"
        )
        stored += put_event(deterministic_id("sns", sns["MessageId"]), str(event_type), "aws:sns",
                            data, sns.get("Timestamp", ""))  # fmt: skip
    return {"stored": stored}


def handle_eventbridge(event: dict[str, Any]) -> dict[str, int]:
    data = {"detail_type": event["detail-type"], "detail": event.get("detail", {})}
    stored = put_event(deterministic_id("events", event["id"]), event["detail-type"],
                       event["source"], data, event.get("time", ""))  # fmt: skip
    return {"stored": int(stored)}


def handle_dynamodb(event: dict[str, Any]) -> dict[str, int]:
    stored = 0
    for record in event["Records"]:
        change = record["dynamodb"]
        data = {
            "table": record.get("eventSourceARN", "").split("/")[1]
            if "/" in record.get("eventSourceARN", "")
            else "",
            "keys": plain(change.get("Keys", {})),
            "new_image": plain(change.get("NewImage", {})),
            "old_image": plain(change.get("OldImage", {})),
        }
        event_type = f"dynamodb:{record['eventName']}"
        stored += put_event(
            deterministic_id("ddb", record["eventID"]), event_type, "aws:dynamodb", data
        )
    return {"stored": stored}


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text


HANDLERS = {
    "s3": handle_s3,
    "sqs": handle_sqs,
    "sns": handle_sns,
    "eventbridge": handle_eventbridge,
    "dynamodb": handle_dynamodb,
}
