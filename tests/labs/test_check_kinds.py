"""Every check kind, passing and failing, against the real stack (no fakes)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from sandbox.aws.clients import client
from sandbox.aws.deploy import DeployResult
from sandbox.labs.checks import builtin_registry
from sandbox.labs.checks.base import CheckContext, Status
from sandbox.labs.runner import evaluate_once
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.model import State

pytestmark = pytest.mark.slow
REGISTRY = builtin_registry()


@pytest.fixture
def ctx(running_stack: EmbeddedBackend, tmp_path: Path) -> CheckContext:
    status = running_stack.status()
    endpoints = {n: s.url for n, s in status.services.items() if s.state is State.HEALTHY}
    context = CheckContext(workspace=tmp_path, lab_dir=tmp_path, endpoints=endpoints,
                           control=running_stack)  # fmt: skip
    context.nested = lambda spec: evaluate_once(spec, REGISTRY, context)
    return context


def check(ctx: CheckContext, **spec: Any) -> tuple[Status, str]:
    outcome = evaluate_once(spec, REGISTRY, ctx)
    return outcome.status, outcome.message


def test_http(ctx: CheckContext) -> None:
    assert check(ctx, kind="http", path="/health", expect={"json": {"status": "ok"}})[0] == "passed"
    status, message = check(ctx, kind="http", path="/health", expect={"json": {"status": "down"}})
    assert status is Status.FAILED
    assert "expected status = 'down', got 'ok'" in message
    status, message = check(ctx, kind="http", path="/nope", expect={"status": 200})
    assert (status, "expected status 200, got 404" in message) == (Status.FAILED, True)


def test_http_with_a_service_down_is_unknown(ctx: CheckContext) -> None:
    ctx.endpoints.pop("app")
    status, message = check(ctx, kind="http", path="/health")
    assert status is Status.UNKNOWN
    assert message == "the app is not running; start the stack with `sandbox up`"


def test_metric(ctx: CheckContext) -> None:
    grew = check(ctx, kind="metric", name="http_requests_total",
                 increased_after={"path": "/health", "count": 3})  # fmt: skip
    assert grew[0] is Status.PASSED
    absent = check(ctx, kind="metric", name="no_such_metric_total")
    assert absent == (Status.FAILED, "no sample no_such_metric_total{} in /metrics")
    too_high = check(ctx, kind="metric", name="http_requests_total", op=">", value=1e12)
    assert too_high[0] is Status.FAILED
    assert "expected http_requests_total{} > 1e+12, observed" in too_high[1]


def test_dynamodb_item(ctx: CheckContext, aws_endpoint: str, deployed: DeployResult) -> None:
    marker = f"kind-{time.time_ns()}"
    ddb = client("dynamodb", aws_endpoint)
    ddb.put_item(TableName="sandbox-events", Item={
        "event_id": {"S": marker}, "event_type": {"S": "test.kind"}, "timestamp": {"S": "t"},
        "data": {"M": {"n": {"N": "3"}}},
    })  # fmt: skip
    key = {"event_id": marker}
    assert check(ctx, kind="dynamodb_item", key=key, expect={"data.n": 3})[0] is Status.PASSED
    wrong = check(ctx, kind="dynamodb_item", key=key, expect={"data.n": 4})
    assert wrong[0] is Status.FAILED
    assert "data.n = 3 (expected 4)" in wrong[1]
    matched = check(ctx, kind="dynamodb_item", match={"event_id": marker}, count=1)
    assert matched[0] is Status.PASSED
    missing = check(ctx, kind="dynamodb_item", key={"event_id": "nope"})
    assert missing[0] is Status.FAILED
    no_table = check(ctx, kind="dynamodb_item", table="no-such-table", key=key)
    assert no_table[0] is Status.FAILED  # the emulator's answer, not a blip
    assert "could not read table no-such-table: ResourceNotFoundException" in no_table[1]


def test_s3_object(ctx: CheckContext, aws_endpoint: str, deployed: DeployResult) -> None:
    client("s3", aws_endpoint).put_object(Bucket="sandbox-uploads", Key="kinds/a.txt",
                                          Body=b"hello kinds")  # fmt: skip
    found = check(ctx, kind="s3_object", bucket="sandbox-uploads", key="kinds/a.txt",
                  contains="hello")  # fmt: skip
    assert found[0] is Status.PASSED
    assert check(ctx, kind="s3_object", bucket="sandbox-uploads", key="kinds/b.txt")[0] == "failed"
    absent = check(ctx, kind="s3_object", bucket="sandbox-uploads", prefix="kinds/zz", exists=False)
    assert absent[0] is Status.PASSED


def test_sqs_depth(ctx: CheckContext, aws_endpoint: str) -> None:
    sqs = client("sqs", aws_endpoint)
    url = sqs.create_queue(QueueName="kinds-depth")["QueueUrl"]
    for n in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    assert check(ctx, kind="sqs_depth", queue="kinds-depth", op="==", value=2)[0] == "passed"
    wrong = check(ctx, kind="sqs_depth", queue="kinds-depth", op="==", value=5)
    assert wrong == (Status.FAILED, "expected kinds-depth depth == 5, observed 2")
    assert check(ctx, kind="sqs_depth", queue="no-such-queue")[0] is Status.FAILED


def test_log_line(ctx: CheckContext) -> None:
    assert check(ctx, kind="log_line", service="app", pattern='"logger": "app')[0] == "passed"
    missing = check(ctx, kind="log_line", service="app", pattern="never-logged-xyz")
    assert missing[0] is Status.FAILED
    text_log = check(ctx, kind="log_line", service="postgres", every_line_json=True)
    assert text_log[0] is Status.FAILED
    assert "not a JSON line" in text_log[1]


def test_log_line_reads_the_service_output_not_the_sandbox_notes_about_it(
    ctx: CheckContext, running_stack: EmbeddedBackend
) -> None:
    running_stack.stop_service("app")  # writes "[sandbox] app stopped on request" in its log
    running_stack.start_service("app")
    assert any("[sandbox]" in line for line in running_stack.logs("app"))
    outcome = check(ctx, kind="log_line", service="app", every_line_json=True, last_lines=50)
    assert outcome[0] is Status.PASSED, outcome[1]


def test_file(ctx: CheckContext) -> None:
    (ctx.workspace / "conf.py").write_text("TIMEOUT = 30\n")
    assert check(ctx, kind="file", path="conf.py", matches=r"^TIMEOUT = \d+")[0] == "passed"
    assert check(ctx, kind="file", path="conf.py", contains="RETRIES")[0] is Status.FAILED
    assert check(ctx, kind="file", path="other.py")[0] is Status.FAILED
    assert check(ctx, kind="file", path="../../etc/passwd")[0] is Status.UNKNOWN


def test_command(ctx: CheckContext) -> None:
    ok = check(ctx, kind="command", run=["{python}", "-c", "print('tests pass')"],
               output_contains="tests pass")  # fmt: skip
    assert ok[0] is Status.PASSED
    failing = check(ctx, kind="command", run=["{python}", "-c", "raise SystemExit(3)"])
    assert failing[0] is Status.FAILED
    assert "exited with 3" in failing[1]
    assert check(ctx, kind="command", run=["no-such-program-here"])[0] is Status.UNKNOWN


def test_fault_stops_and_restores_a_service(
    ctx: CheckContext, running_stack: EmbeddedBackend
) -> None:
    down = check(ctx, kind="fault", stop="redis",
                 check={"kind": "http", "path": "/ready", "expect": {"status": 503}})  # fmt: skip
    assert down[0] is Status.PASSED
    assert down[1].startswith("with redis stopped:")
    assert running_stack.status().services["redis"].state is State.HEALTHY
    wrong = check(ctx, kind="fault", stop="redis",
                  check={"kind": "http", "path": "/ready", "expect": {"status": 200}})  # fmt: skip
    assert wrong[0] is Status.FAILED
    assert running_stack.status().services["redis"].state is State.HEALTHY


def test_event(ctx: CheckContext, deployed: DeployResult) -> None:
    fired = check(ctx, kind="event", source="sns", data={"k": 1},
                  expect={"source": "aws:sns", "data.message.k": 1})  # fmt: skip
    assert fired[0] is Status.PASSED
    wrong = check(ctx, kind="event", source="sqs", expect={"event_type": "nope"})
    assert wrong[0] is Status.FAILED
    assert "event_type = 'order.created' (expected 'nope')" in wrong[1]


def test_bad_parameters_and_unknown_kinds_are_unknown(ctx: CheckContext) -> None:
    assert check(ctx, kind="http")[0] is Status.UNKNOWN  # no path
    assert check(ctx, kind="warp")[0] is Status.UNKNOWN


def test_json_dump_of_results_is_plain(ctx: CheckContext) -> None:
    status, message = check(ctx, kind="http", path="/health")
    assert json.loads(json.dumps({"status": status, "message": message}))["status"] == "passed"
