"""Real events through the emulator's own delivery paths, and the exact items they leave."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from sandbox.aws.clients import client
from sandbox.aws.deploy import DeployResult, deploy
from sandbox.aws.events import EventTimeout, Firer, post_json
from sandbox.aws.names import Names
from sandbox.errors import SandboxError
from tests.helpers import wait_for
from tests.serverless.conftest import LAMBDA_DIR, deploy_handler, items_mentioning

pytestmark = pytest.mark.slow


def test_second_deploy_changes_nothing(aws_endpoint: str, deployed: DeployResult) -> None:
    again = deploy(aws_endpoint, LAMBDA_DIR)
    assert again.changed == []
    assert again.stage_url == deployed.stage_url
    kinds = {r.kind for r in again.resources}
    assert kinds >= {"lambda-function", "s3-bucket", "sqs-trigger", "sns-subscription",
                     "eventbridge-rule", "dynamodb-stream-trigger", "rest-api"}  # fmt: skip


def test_deploy_updates_only_the_code_when_it_changed(
    aws_endpoint: str, deployed: DeployResult, tmp_path: Path
) -> None:
    import shutil

    source = tmp_path / "lambda"
    shutil.copytree(LAMBDA_DIR, source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "handler.py").write_text((source / "handler.py").read_text() + "\n# edited\n")
    changed = deploy(aws_endpoint, source).changed
    assert [(r.kind, r.action) for r in changed] == [("lambda-function", "updated")]
    assert [(r.kind, r.action) for r in deploy(aws_endpoint, LAMBDA_DIR).changed] == [
        ("lambda-function", "updated")
    ]


def test_s3_put_is_stored_with_the_decoded_key(firer: Firer) -> None:
    result = firer.fire("s3", {"note": "hello"})
    item = result.item
    assert item is not None
    assert item["event_type"] == "s3:ObjectCreated:Put"
    assert item["source"] == "aws:s3"
    assert item["data"]["bucket"] == "sandbox-uploads"
    assert item["data"]["key"] == f"fired/{result.fire_id}.json"
    assert item["processed"] is True
    assert any('"message": "stored"' in line for line in result.logs)


def test_s3_keys_with_spaces_and_unicode_are_decoded(aws_endpoint: str, firer: Firer) -> None:
    key = "reports/q3 résumé über 100%.txt"
    client("s3", aws_endpoint).put_object(Bucket="sandbox-uploads", Key=key, Body=b"x")
    assert wait_for(lambda: bool(items_mentioning(aws_endpoint, "sandbox-events", key)), 10)
    client("s3", aws_endpoint).delete_object(Bucket="sandbox-uploads", Key=key)
    assert wait_for(lambda: len(items_mentioning(aws_endpoint, "sandbox-events", key)) == 2, 10)
    types = {i["event_type"] for i in items_mentioning(aws_endpoint, "sandbox-events", key)}
    assert types == {"s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete"}


def test_sqs_message_is_stored(firer: Firer) -> None:
    item = firer.fire("sqs", {"order_id": "o-42"}).item
    assert item is not None
    assert (item["event_type"], item["source"]) == ("order.created", "aws:sqs")
    assert item["data"]["order_id"] == "o-42"


def test_sns_notification_is_stored(firer: Firer) -> None:
    item = firer.fire("sns", {"user": "ada"}).item
    assert item is not None
    assert (item["event_type"], item["source"]) == ("notification.sent", "aws:sns")
    assert item["data"]["topic_arn"] == Names().topic_arn
    assert item["data"]["message"]["user"] == "ada"


def test_eventbridge_event_is_stored(firer: Firer) -> None:
    item = firer.fire("eventbridge", {"order_id": "o-9", "total": 12.5}).item
    assert item is not None
    assert (item["event_type"], item["source"]) == ("order.created", "myapp.orders")
    assert item["data"]["detail"]["total"] == 12.5


def test_eventbridge_users_rule_also_reaches_the_function(aws_endpoint: str, firer: Firer) -> None:
    marker = f"user-{time.time_ns()}"
    client("events", aws_endpoint).put_events(Entries=[{
        "Source": "myapp.users", "DetailType": "user.updated", "Detail": json.dumps({"id": marker}),
    }])  # fmt: skip
    assert wait_for(lambda: bool(items_mentioning(aws_endpoint, "sandbox-events", marker)), 10)
    item = items_mentioning(aws_endpoint, "sandbox-events", marker)[0]
    assert (item["event_type"], item["source"]) == ("user.updated", "myapp.users")


def test_dynamodb_stream_insert_modify_remove(aws_endpoint: str, firer: Firer) -> None:
    result = firer.fire("dynamodb", {"status": "new"})
    assert result.item is not None
    assert result.item["event_type"] == "dynamodb:INSERT"
    assert result.item["data"]["keys"] == {"order_id": result.fire_id}
    ddb = client("dynamodb", aws_endpoint)
    key = {"order_id": {"S": result.fire_id}}
    ddb.update_item(TableName="sandbox-orders", Key=key, UpdateExpression="SET paid = :t",
                    ExpressionAttributeValues={":t": {"BOOL": True}})  # fmt: skip
    ddb.delete_item(TableName="sandbox-orders", Key=key)

    def types() -> set[str]:
        found = items_mentioning(aws_endpoint, "sandbox-events", result.fire_id)
        return {i["event_type"] for i in found if i["source"] == "aws:dynamodb"}

    assert wait_for(lambda: types() == {"dynamodb:INSERT", "dynamodb:MODIFY", "dynamodb:REMOVE"})


def test_api_post_stores_and_publishes(aws_endpoint: str, firer: Firer) -> None:
    result = firer.fire("api", {"order_id": "o-5"})
    assert result.item is not None
    assert result.item["event_id"] == result.fire_id
    assert (result.item["event_type"], result.item["source"]) == ("order.created", "api")
    published = lambda: [  # noqa: E731
        i
        for i in items_mentioning(aws_endpoint, "sandbox-events", result.fire_id)
        if i["source"] == "aws:sns"
    ]
    assert wait_for(lambda: len(published()) == 1, 10)
    assert published()[0]["event_type"] == "order.created.published"


def test_api_get_queries_by_type(firer: Firer) -> None:
    firer.fire("api", {"order_id": "o-6"})
    with urllib.request.urlopen(firer.events_url() + "?event_type=order.created&limit=5") as r:
        body = json.load(r)
    assert 1 <= body["count"] <= 5
    assert all(item["event_type"] == "order.created" for item in body["items"])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"[1, 2]", "body must be a JSON object"),
        (b'{"data": {}}', "event_type is required"),
        (b'{"event_type": "x", "data": [1]}', "data must be a JSON object"),
    ],
)
def test_api_bad_body_is_400_and_nothing_is_stored(
    aws_endpoint: str, firer: Firer, body: bytes, reason: str
) -> None:
    before = len(items_mentioning(aws_endpoint, "sandbox-events", ""))
    request = urllib.request.Request(firer.events_url(), data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 400
    assert reason in json.load(caught.value)["error"]
    time.sleep(0.3)
    assert len(items_mentioning(aws_endpoint, "sandbox-events", "")) == before


@pytest.mark.parametrize("query", ["event_type=x&limit=abc", "event_type=x&limit=0", "limit=5"])
def test_api_get_rejects_nonsense(firer: Firer, query: str) -> None:
    status, answer = _get(firer.events_url() + "?" + query)
    assert status == 400
    assert "event_type" in answer or "limit" in answer


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_the_same_s3_event_twice_is_stored_once(
    aws_endpoint: str, firer: Firer, deployed: DeployResult
) -> None:
    from sandbox.aws.samples import sample

    event = sample("s3", "put")
    key = f"twice/{time.time_ns()}.csv"
    event["Records"][0]["s3"]["object"]["key"] = key
    first, second = firer.invoke(event), firer.invoke(event)
    assert first["result"] == {"stored": 1}
    assert second["result"] == {"stored": 0}
    assert len(items_mentioning(aws_endpoint, "sandbox-events", key)) == 1


def test_sqs_poison_message_goes_to_the_dlq_and_good_ones_are_stored_once(
    aws_endpoint: str, firer: Firer
) -> None:
    sqs = client("sqs", aws_endpoint)
    queue = sqs.get_queue_url(QueueName="sandbox-jobs")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="sandbox-jobs-dlq")["QueueUrl"]
    marker = f"batch-{time.time_ns()}"
    sqs.send_message_batch(QueueUrl=queue, Entries=[
        {"Id": "good1", "MessageBody": json.dumps({"event_type": "job.done", "n": 1, "m": marker})},
        {"Id": "poison", "MessageBody": f"not json {marker}"},
        {"Id": "good2", "MessageBody": json.dumps({"event_type": "job.done", "n": 2, "m": marker})},
    ])  # fmt: skip

    def dead_letters() -> list[str]:
        answer = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [m["Body"] for m in answer.get("Messages", [])]

    assert wait_for(lambda: f"not json {marker}" in dead_letters(), timeout=45, interval=0.5)
    stored = items_mentioning(aws_endpoint, "sandbox-events", marker)
    assert sorted(i["data"]["n"] for i in stored) == [1, 2]  # each good one exactly once


def test_backlog_sent_before_deploy_is_processed_after(aws_endpoint: str) -> None:
    names = Names("backlog")
    sqs = client("sqs", aws_endpoint)
    url = sqs.create_queue(QueueName=names.queue)["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"event_type": "late", "n": n}))
    deploy(aws_endpoint, LAMBDA_DIR, names)
    assert wait_for(
        lambda: len(items_mentioning(aws_endpoint, names.events_table, '"late"')) == 3, 20
    )


def test_a_failing_function_is_named_as_the_missing_hop(aws_endpoint: str, tmp_path: Path) -> None:
    names = deploy_handler(
        aws_endpoint, tmp_path, "broken", "raise RuntimeError('processor exploded')"
    )
    with pytest.raises(EventTimeout) as caught:
        Firer(aws_endpoint, names).fire("s3", timeout=4)
    message = caught.value.render()
    assert "the function was invoked and failed" in message
    assert "processor exploded" in message


def test_an_event_handled_without_an_item_fails_long_before_its_timeout(
    aws_endpoint: str, tmp_path: Path
) -> None:
    names = deploy_handler(aws_endpoint, tmp_path, "ignoring", "return {'ignored': sorted(event)}")
    started = time.monotonic()
    with pytest.raises(EventTimeout) as caught:
        Firer(aws_endpoint, names).fire("sqs", timeout=30)
    assert time.monotonic() - started < 15  # the emulator's ledger said so; no 30 s wait
    message = caught.value.render()
    assert "returned without error, so none will come" in message
    assert "wrote no item" in message


def test_the_emulator_tells_which_invocations_carried_a_fired_event(
    aws_endpoint: str, firer: Firer
) -> None:
    result = firer.fire("sns")
    url = f"{aws_endpoint}/_sandbox/invocations?mark={result.fire_id}"
    with urllib.request.urlopen(url, timeout=5) as response:
        carried = json.loads(response.read())["invocations"]
    assert [(i["function"], i["ok"]) for i in carried] == [(firer.names.function, True)]


def test_firing_before_deploy_says_so(aws_endpoint: str) -> None:
    with pytest.raises(SandboxError) as caught:
        Firer(aws_endpoint, Names("never-deployed")).fire("api", timeout=2)
    assert "not deployed" in caught.value.render()
    assert "sandbox deploy" in caught.value.render()


def test_post_json_reports_status(firer: Firer) -> None:
    status, body = post_json(firer.events_url(), {"event_type": "t", "data": {}})
    assert status == 201
    assert json.loads(body)["stored"] is True
