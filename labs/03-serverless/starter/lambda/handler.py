"""The event processor: one entry point for every event source wired to the function.

`sandbox deploy` connects six sources to this one function: API Gateway, S3, SQS, SNS,
EventBridge and a DynamoDB stream. Each delivers its own event shape; the handler works out
which one it got and hands it on.

Today only API Gateway is understood (POST and GET /events, in api.py). Every other event
is logged as unsupported and dropped.

Configuration comes only from the environment (EVENTS_TABLE, EVENTS_INDEX, TOPIC_ARN);
AWS clients are built on first use, with the endpoint boto3 reads from AWS_ENDPOINT_URL.
"""

from __future__ import annotations

from typing import Any

from api import handle_api
from log import log_event


def kind_of(event: dict[str, Any]) -> str:
    """Which source sent this event, recognised by its shape."""
    if "httpMethod" in event and "requestContext" in event:
        return "api"
    # TODO: recognise S3, SQS, SNS, EventBridge and DynamoDB stream events.
    #       `sandbox events sample <source>` prints a realistic one of each.
    return "unknown"


def handler(event: dict[str, Any], context: Any) -> Any:
    kind = kind_of(event)
    log_event("received", kind=kind, request_id=getattr(context, "aws_request_id", ""))
    if kind == "api":
        return handle_api(event)
    # Returning normally tells the caller the event was handled: S3, SNS and EventBridge
    # will not retry it, and SQS deletes every message of the batch.
    log_event("unsupported event", level="WARNING", kind=kind, keys=sorted(event)[:10])
    return {"ignored": kind}
