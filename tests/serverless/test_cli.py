"""The serverless commands as a person runs them against the session's stack."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox.aws.clients import client
from sandbox.aws.deploy import DeployResult
from sandbox.stack.embedded import EmbeddedBackend
from tests.helpers import wait_for
from tests.serverless.conftest import LAMBDA_DIR

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]
pytestmark = pytest.mark.slow


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    return {**env, "SANDBOX_HOME": str(home), **extra}


@pytest.fixture
def stack_env(running_stack: EmbeddedBackend, deployed: DeployResult) -> dict[str, str]:
    return env_for(running_stack.home)


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SANDBOX, *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def test_deploy_json_lists_every_resource(stack_env: dict[str, str]) -> None:
    result = run(stack_env, "deploy", "--json")
    assert result.returncode == 0, result.stderr
    kinds = {r["kind"] for r in json.loads(result.stdout)["resources"]}
    assert {"lambda-function", "rest-api", "sqs-trigger", "eventbridge-rule"} <= kinds


def test_fire_json_shows_item_logs_and_latency(stack_env: dict[str, str]) -> None:
    result = run(stack_env, "fire", "eventbridge", "--data", '{"order_id": "cli-1"}', "--json")
    assert result.returncode == 0, result.stderr
    fired = json.loads(result.stdout)
    assert fired["item"]["data"]["detail"]["order_id"] == "cli-1"
    assert any("START RequestId" in line for line in fired["logs"])
    assert fired["latency_ms"] > 0


def test_browsers(stack_env: dict[str, str]) -> None:
    depths = json.loads(run(stack_env, "sqs", "depth", "--json").stdout)
    assert {"queue": "sandbox-jobs-dlq", "dead_letter": True}.items() <= next(
        d for d in depths if d["queue"] == "sandbox-jobs-dlq"
    ).items()
    buckets = json.loads(run(stack_env, "s3", "ls", "--json").stdout)
    assert {"bucket": "sandbox-uploads"} in buckets
    items = json.loads(run(stack_env, "ddb", "scan", "--json", "--limit", "5").stdout)
    assert isinstance(items, list)


def test_a_binary_attribute_is_shown_not_a_traceback(
    stack_env: dict[str, str], aws_endpoint: str
) -> None:
    item = {"order_id": {"S": "cli-binary"}, "blob": {"B": b"\x00\xff"}, "ids": {"NS": ["1"]}}
    client("dynamodb", aws_endpoint).put_item(TableName="sandbox-orders", Item=item)
    for json_flag in ((), ("--json",)):
        shown = run(stack_env, "ddb", "scan", "--table", "sandbox-orders", *json_flag)
        assert shown.returncode == 0, shown.stderr
        assert "cli-binary" in shown.stdout
        assert '"AP8="' in shown.stdout  # base64, as the AWS CLI shows it


def test_sample_then_invoke_from_stdin(stack_env: dict[str, str]) -> None:
    event = run(stack_env, "events", "sample", "dynamodb", "remove").stdout
    assert json.loads(event)["Records"][0]["eventName"] == "REMOVE"
    answer = run(stack_env, "invoke", "--event", "-", "--json", stdin=event)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["result"] == {"stored": 1}


def test_bad_sample_type(stack_env: dict[str, str]) -> None:
    result = run(stack_env, "events", "sample", "s3", "explode")
    assert result.returncode == 1
    assert "s3 has no sample type 'explode'" in result.stderr


def test_commands_need_a_running_stack(tmp_path: Path) -> None:
    result = run(env_for(tmp_path / "empty"), "fire", "s3")
    assert result.returncode == 1
    assert "the AWS emulator is not running" in result.stderr
    assert "sandbox up" in result.stderr
    assert "Traceback" not in result.stderr


def test_deploy_watch_redeploys_on_change(
    running_stack: EmbeddedBackend, deployed: DeployResult, tmp_path: Path
) -> None:
    source = tmp_path / "lambda"
    shutil.copytree(LAMBDA_DIR, source, ignore=shutil.ignore_patterns("__pycache__"))
    env = env_for(running_stack.home, SANDBOX_LAMBDA_DIR=str(source))
    log = tmp_path / "watch.log"
    with (
        log.open("w") as out,
        subprocess.Popen(
            [*SANDBOX, "deploy", "--watch"], env=env, stdout=subprocess.DEVNULL, stderr=out
        ) as proc,
    ):
        try:
            assert wait_for(lambda: "watching" in log.read_text(), timeout=60)
            time.sleep(1)
            (source / "handler.py").write_text((source / "handler.py").read_text() + "\n# v2\n")
            assert wait_for(lambda: "redeployed" in log.read_text(), timeout=60), log.read_text()
            assert "sandbox-events-processor updated" in log.read_text()
        finally:
            proc.terminate()  # SIGTERM stops watching like Ctrl-C does
            proc.wait(30)
    assert "stopped watching" in log.read_text()
    run(env_for(running_stack.home), "deploy")  # put the original code back
