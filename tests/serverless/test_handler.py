"""The processor's handler called in-process with sample events of every kind, writing to the
running emulator's real events table (the function is loaded by path: `lambda` is a keyword)."""

from __future__ import annotations

import base64
import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from sandbox.aws.deploy import DeployResult
from sandbox.aws.names import Names
from sandbox.aws.samples import sample
from tests.serverless.conftest import LAMBDA_DIR, items_mentioning

Handler = Callable[[dict[str, Any], Any], Any]


class Context:
    aws_request_id = "unit-test-request"


@pytest.fixture
def handler(
    aws_endpoint: str, deployed: DeployResult, lambda_modules: None, monkeypatch: pytest.MonkeyPatch
) -> Handler:
    names = Names()
    for key, value in {
        "AWS_ENDPOINT_URL": aws_endpoint, "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox",
        "EVENTS_TABLE": names.events_table, "TOPIC_ARN": names.topic_arn,
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    module = importlib.import_module("handler")
    function: Handler = module.handler
    return function


def stored(endpoint: str, text: str) -> list[dict[str, Any]]:
    return items_mentioning(endpoint, Names().events_table, text)


def test_s3_sample(handler: Handler, aws_endpoint: str) -> None:
    event = sample("s3", "put")
    event["Records"][0]["s3"]["object"]["key"] = "unit/a+b%C3%A9+c.txt"  # "a bé c.txt"
    assert handler(event, Context()) == {"stored": 1}
    [item] = stored(aws_endpoint, "unit/a bé c.txt")
    assert item["event_type"] == "s3:ObjectCreated:Put"


@pytest.mark.parametrize(("source", "kind", "payload", "expected_type"), [
    ("sns", "notification", {"event_type": "unit.sns", "tag": "sns-unit"}, "unit.sns"),
    ("eventbridge", "user", {"tag": "eb-unit"}, "user.updated"),
    ("dynamodb", "modify", "ddb-unit", "dynamodb:MODIFY"),
])  # fmt: skip
def test_record_sources(
    handler: Handler, aws_endpoint: str, source: str, kind: str, payload: Any, expected_type: str
) -> None:
    assert handler(sample(source, kind, payload=payload), Context()) == {"stored": 1}
    marker = payload if isinstance(payload, str) else payload["tag"]
    assert [i["event_type"] for i in stored(aws_endpoint, marker)] == [expected_type]


def test_sqs_batch_reports_only_the_poison_message(handler: Handler, aws_endpoint: str) -> None:
    good = sample("sqs", payload={"event_type": "unit.sqs", "n": 1})
    poison = sample("sqs")
    poison["Records"][0]["body"] = "{truncated"
    event = {"Records": good["Records"] + poison["Records"]}
    answer = handler(event, Context())
    assert answer == {"batchItemFailures": [{"itemIdentifier": poison["Records"][0]["messageId"]}]}
    assert any(i["event_type"] == "unit.sqs" for i in stored(aws_endpoint, "unit.sqs"))


def test_a_redelivered_sqs_message_is_stored_once(handler: Handler, aws_endpoint: str) -> None:
    event = sample("sqs", payload={"event_type": "unit.once", "tag": "redelivered"})
    handler(event, Context())
    handler(event, Context())
    assert len(stored(aws_endpoint, "redelivered")) == 1


def test_api_post_then_get(handler: Handler) -> None:
    created = handler(
        sample("api", "post", payload={"event_type": "unit.api", "data": {"k": 1}}), Context()
    )
    assert created["statusCode"] == 201
    listed = handler(sample("api", "get") | {"queryStringParameters": {"event_type": "unit.api"}},
                     Context())  # fmt: skip
    body = json.loads(listed["body"])
    assert listed["statusCode"] == 200
    assert body["items"][0]["data"] == {"k": 1}


@pytest.mark.parametrize(("change", "status"), [
    ({"httpMethod": "DELETE"}, 405),
    ({"resource": "/orders", "path": "/orders"}, 404),
    ({"body": "{oops"}, 400),
])  # fmt: skip
def test_api_errors(handler: Handler, change: dict[str, Any], status: int) -> None:
    answer = handler(sample("api", "post") | change, Context())
    assert answer["statusCode"] == status
    assert json.loads(answer["body"])["error"]


def test_an_unrecognised_event_is_an_error(handler: Handler) -> None:
    with pytest.raises(ValueError, match="unrecognised event shape"):
        handler({"hello": "world"}, Context())


def test_no_client_is_built_at_import(
    lambda_modules: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVENTS_TABLE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    module = importlib.import_module("handler")  # must not connect or read the table name
    assert callable(module.handler)


def test_the_sdk_is_loaded_only_when_the_handler_first_talks_to_aws() -> None:
    """The unit tests (lab 05 runs them in every pipeline) replace the writes: importing the
    handler must not import boto3, most of a test run's time."""
    script = (
        f"import sys; sys.path.insert(0, {str(LAMBDA_DIR)!r}); import handler; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_a_stream_image_with_binary_sets_and_nesting_is_stored(
    handler: Handler, aws_endpoint: str
) -> None:
    blob = base64.b64encode(b"\x00\xffpng").decode()
    image = {
        "order_id": {"S": "ddb-binary-unit"},
        "thumbnail": {"B": blob},
        "tags": {"SS": ["a", "b"]},
        "lines": {"L": [{"M": {"sku": {"S": "x"}, "qty": {"N": "2"}}}]},
    }
    record = {
        "eventSource": "aws:dynamodb", "eventID": "binary-unit-1", "eventName": "INSERT",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/1",
        "dynamodb": {"Keys": {"order_id": image["order_id"]}, "NewImage": image},
    }  # fmt: skip
    assert handler({"Records": [record]}, Context()) == {"stored": 1}
    [item] = stored(aws_endpoint, "ddb-binary-unit")
    new = item["data"]["new_image"]
    assert base64.b64decode(new["thumbnail"]) == b"\x00\xffpng"
    assert sorted(new["tags"]) == ["a", "b"]
    assert new["lines"] == [{"sku": "x", "qty": 2}]
