"""What the processor promises, one event shape at a time (the handler routes by shape)."""

from __future__ import annotations

import json
from typing import Any

import handler
import pytest
import sources


def s3_event(key: str, sequencer: str = "0A1") -> dict[str, Any]:
    obj = {"key": key, "size": 12, "eTag": "abc", "sequencer": sequencer}
    record = {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "eventTime": "2026-01-01T00:00:00Z",
        "s3": {"bucket": {"name": "sandbox-uploads"}, "object": obj},
    }
    return {"Records": [record]}


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {"eventSource": "aws:sqs", "messageId": f"m-{n}", "body": body}
            for n, body in enumerate(bodies)
        ]
    }


def test_each_shape_is_recognised() -> None:
    assert sources.kind_of(s3_event("a.csv")) == "s3"
    assert sources.kind_of(sqs_event("{}")) == "sqs"
    assert sources.kind_of({"Records": [{"EventSource": "aws:sns", "Sns": {}}]}) == "sns"
    assert sources.kind_of({"detail-type": "x", "source": "myapp.orders"}) == "eventbridge"
    assert sources.kind_of({"httpMethod": "GET", "requestContext": {}}) == "api"


def test_an_s3_key_is_stored_as_uploaded_not_url_encoded(stored: list[dict[str, Any]]) -> None:
    handler.handler(s3_event("incoming/r%C3%A9sum%C3%A9+2026.csv"), None)
    [item] = stored
    assert item["event_type"] == "s3:ObjectCreated:Put"
    assert item["data"]["key"] == "incoming/résumé 2026.csv"


def test_a_redelivered_record_gets_the_same_id(stored: list[dict[str, Any]]) -> None:
    handler.handler(s3_event("a.csv"), None)
    handler.handler(s3_event("a.csv"), None)
    handler.handler(s3_event("a.csv", sequencer="0A2"), None)
    first, again, changed = (item["event_id"] for item in stored)
    assert first == again != changed


def test_only_the_poison_message_of_a_batch_fails(stored: list[dict[str, Any]]) -> None:
    good = json.dumps({"event_type": "order.created", "order_id": "o-1"})
    answer = handler.handler(sqs_event(good, "not json", good), None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert [item["event_type"] for item in stored] == ["order.created", "order.created"]


def test_an_eventbridge_event_is_stored_under_its_own_source(
    stored: list[dict[str, Any]],
) -> None:
    event = {
        "id": "e-1",
        "detail-type": "order.created",
        "source": "myapp.orders",
        "time": "2026-01-01T00:00:00Z",
        "detail": {"order_id": "o-9"},
    }
    handler.handler(event, None)
    [item] = stored
    assert (item["event_type"], item["source"]) == ("order.created", "myapp.orders")
    assert item["data"] == {"detail_type": "order.created", "detail": {"order_id": "o-9"}}


def test_a_stream_image_is_stored_as_plain_values(stored: list[dict[str, Any]]) -> None:
    stream = "arn:aws:dynamodb:us-east-1:000000000000:table/sandbox-orders/stream/1"
    record = {
        "eventSource": "aws:dynamodb",
        "eventID": "1",
        "eventName": "INSERT",
        "eventSourceARN": stream,
        "dynamodb": {
            "Keys": {"order_id": {"S": "o-1"}},
            "NewImage": {"order_id": {"S": "o-1"}, "total": {"N": "12"}},
        },
    }
    handler.handler({"Records": [record]}, None)
    [item] = stored
    assert item["data"]["table"] == "sandbox-orders"
    assert item["data"]["new_image"] == {"order_id": "o-1", "total": 12}


@pytest.mark.parametrize("body", ['{"data": {}}', "not json", '{"event_type": "x", "data": 1}'])
def test_the_api_answers_400_to_a_bad_event(stored: list[dict[str, Any]], body: str) -> None:
    event = {"httpMethod": "POST", "resource": "/events", "requestContext": {}, "body": body}
    assert handler.handler(event, None)["statusCode"] == 400
    assert stored == []


def test_the_api_stores_a_good_event(stored: list[dict[str, Any]]) -> None:
    body = json.dumps({"event_type": "order.created", "data": {"order_id": "o-1"}})
    event = {
        "httpMethod": "POST",
        "resource": "/events",
        "requestContext": {"requestId": "r-1"},
        "body": body,
    }
    answer = handler.handler(event, None)
    assert answer["statusCode"] == 201
    assert stored[0]["event_id"] == "r-1"


def test_an_unknown_shape_is_an_error_not_a_silent_success() -> None:
    with pytest.raises(ValueError, match="unrecognised event shape"):
        handler.handler({"something": "else"}, None)
