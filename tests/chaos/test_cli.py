"""`sandbox chaos` as a person runs it: list, add, remove, clear, latency, text and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sandbox import cli_chaos
from sandbox.errors import ConfigError, StackNotRunningError
from sandbox.services.chaos.client import ChaosClient
from tests.helpers import free_port

THROTTLE_ARGS = [
    "dynamodb",
    "--operation",
    "PutItem",
    "--probability",
    "0.3",
    "--status",
    "400",
    "--code",
    "ThrottlingException",
]
THROTTLE_RULE = {
    "service": "dynamodb",
    "operation": "PutItem",
    "probability": 0.3,
    "error": {"statusCode": 400, "code": "ThrottlingException"},
}


@pytest.fixture
def on_emulator(chaos: ChaosClient, monkeypatch: pytest.MonkeyPatch) -> ChaosClient:
    """The commands talk to the session's emulator (no whole stack needed)."""
    monkeypatch.setattr(cli_chaos, "chaos_client", lambda ctx: chaos)
    return chaos


def run(*args: str) -> Result:
    return CliRunner().invoke(cli_chaos.chaos_group, list(args), catch_exceptions=True)


def test_add_sends_only_what_was_given_and_json_shows_what_is_in_force(
    on_emulator: ChaosClient,
) -> None:
    result = run("add", *THROTTLE_ARGS, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"faults": [THROTTLE_RULE], "effects": {"latency": 0}}


def test_list_numbers_the_rules_in_a_table(on_emulator: ChaosClient) -> None:
    on_emulator.set_faults([{"service": "s3", "region": "eu-west-1"}, THROTTLE_RULE])
    lines = run("list").output.splitlines()
    assert lines[0].split() == ["#", "service", "operation", "region", "probability", "error"]
    assert lines[1].split() == ["1", "s3", "any", "eu-west-1", "1", "503", "ServiceUnavailable"]
    assert lines[2].split() == [
        "2",
        "dynamodb",
        "PutItem",
        "any",
        "0.3",
        "400",
        "ThrottlingException",
    ]
    assert lines[3] == "latency: 0 ms"


def test_remove_takes_the_numbers_list_shows(on_emulator: ChaosClient) -> None:
    on_emulator.set_faults([{"service": "s3"}, THROTTLE_RULE, {"service": "sqs"}])
    result = run("remove", "1", "3", "--json")
    assert json.loads(result.output)["faults"] == [THROTTLE_RULE]


def test_removing_a_rule_that_does_not_exist_says_how_many_there_are(
    on_emulator: ChaosClient,
) -> None:
    on_emulator.set_faults([THROTTLE_RULE])
    result = run("remove", "2")
    assert isinstance(result.exception, ConfigError)
    assert "there is no rule 2: 1 in force" in str(result.exception)


def test_latency_then_clear_removes_everything(on_emulator: ChaosClient) -> None:
    on_emulator.set_faults([THROTTLE_RULE])
    assert "latency: 120 ms" in run("latency", "120").output
    result = run("clear")
    assert result.output.splitlines() == [
        "no fault rules: every call goes through",
        "latency: 0 ms",
    ]


def test_a_rule_the_api_refuses_is_a_config_error_with_its_message(
    on_emulator: ChaosClient,
) -> None:
    result = run("add", "dynamo")
    assert isinstance(result.exception, ConfigError)
    assert "did you mean dynamodb?" in str(result.exception)


def test_with_the_stack_down_it_says_to_start_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANDBOX_HOME", str(tmp_path))
    monkeypatch.setenv("SANDBOX_BACKEND", "embedded")
    result = run("list")
    assert isinstance(result.exception, StackNotRunningError)
    assert "sandbox up" in result.exception.hint


def test_an_emulator_that_stopped_answering_is_a_clear_error() -> None:
    with pytest.raises(StackNotRunningError, match="is not answering"):
        ChaosClient(f"http://127.0.0.1:{free_port()}", timeout=2).faults()
