"""API Gateway (REST, proxy integration): POST /events stores and publishes; GET queries."""

from __future__ import annotations

import functools
import json
import os
import uuid
from typing import Any

from log import log_event
from store import put_event, query_by_type

MAX_LIMIT = 100


class BadRequest(Exception):
    pass


def handle_api(event: dict[str, Any]) -> dict[str, Any]:
    method, path = event["httpMethod"], event.get("resource") or event.get("path", "")
    if not path.rstrip("/").endswith("/events"):
        return response(404, {"error": f"no route for {path}"})
    try:
        if method == "POST":
            return create_event(event)
        if method == "GET":
            return list_events(event.get("queryStringParameters") or {})
    except BadRequest as err:
        return response(400, {"error": str(err)})
    return response(405, {"error": f"{method} is not allowed on /events; use GET or POST"})


def create_event(event: dict[str, Any]) -> dict[str, Any]:
    body = _json_body(event.get("body"), event.get("isBase64Encoded", False))
    event_type, data = body.get("event_type"), body.get("data", {})
    if not isinstance(event_type, str) or not event_type.strip():
        raise BadRequest("event_type is required: a non-empty string")
    if not isinstance(data, dict):
        raise BadRequest("data must be a JSON object")
    request_id = event.get("requestContext", {}).get("requestId") or uuid.uuid4().hex
    event_id = str(body.get("event_id") or request_id)
    stored = put_event(event_id, event_type, "api", data)
    if stored:
        _publish(event_id, event_type, data)
    return response(201 if stored else 200, {"event_id": event_id, "stored": stored})


def list_events(query: dict[str, str]) -> dict[str, Any]:
    event_type = query.get("event_type", "").strip()
    if not event_type:
        raise BadRequest("event_type is required, e.g. GET /events?event_type=order.created")
    raw_limit = query.get("limit", "20")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {raw_limit!r}")
    items = query_by_type(event_type, int(raw_limit))
    return response(200, {"items": items, "count": len(items)})


def _json_body(raw: str | None, base64_encoded: bool) -> dict[str, Any]:
    if base64_encoded and raw:
        import base64

        raw = base64.b64decode(raw).decode("utf-8", errors="replace")
    try:
        body = json.loads(raw or "")
    except json.JSONDecodeError as err:
        raise BadRequest(f"body is not valid JSON: {err.msg} at position {err.pos}") from err
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object with event_type and data")
    return body


@functools.cache
def _sns() -> Any:
    import boto3  # here, not at the top: the unit tests never load the SDK (see store.py)

    return boto3.client("sns")


def _publish(event_id: str, event_type: str, data: dict[str, Any]) -> None:
    topic = os.environ.get("TOPIC_ARN", "")
    if not topic:
        return
    message = json.dumps(
        {"event_id": event_id, "event_type": f"{event_type}.published", "data": data}
    )
    _sns().publish(TopicArn=topic, Message=message, Subject=event_type[:100])
    log_event("published", event_id=event_id, topic=topic)


def response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, default=str),
    }
