"""The `sandbox` command as a person runs it: real processes, clear errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sandbox.stack.specs import free_port_variables

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]


def sandbox_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env.update(SANDBOX_HOME=str(home), **free_port_variables())
    env.update(extra)
    return env


def run(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SANDBOX, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_version() -> None:
    result = run(dict(os.environ), "--version")
    assert result.returncode == 0
    assert "sandbox, version" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SANDBOX_APP_PORT", "eighty", "SANDBOX_APP_PORT='eighty' is not a usable port"),
        ("SANDBOX_BACKEND", "kubernetes", "SANDBOX_BACKEND='kubernetes' is not a backend"),
    ],
)
def test_bad_settings_are_a_message_not_a_traceback(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = run(sandbox_env(tmp_path, **{variable: value}), "up")
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_service_for_logs(tmp_path: Path) -> None:
    result = run(sandbox_env(tmp_path), "logs", "mysql")
    assert result.returncode == 1
    assert "no service called 'mysql'" in result.stderr
    assert "postgres, redis, aws, faults, app" in result.stderr


def test_bad_since_for_logs(tmp_path: Path) -> None:
    result = run(sandbox_env(tmp_path), "logs", "app", "--since", "yesterday-ish")
    assert result.returncode == 1
    assert "--since 'yesterday-ish' is not a duration or a time" in result.stderr


def test_reset_without_a_terminal_needs_yes(tmp_path: Path) -> None:
    result = run(sandbox_env(tmp_path), "reset")
    assert result.returncode != 0
    assert "--yes" in result.stderr


def test_status_of_a_stack_never_started_is_stopped_and_nonzero(tmp_path: Path) -> None:
    result = run(sandbox_env(tmp_path), "status", "--json")
    assert result.returncode == 3
    states = {name: s["state"] for name, s in json.loads(result.stdout)["services"].items()}
    assert states == dict.fromkeys(("postgres", "redis", "aws", "faults", "app"), "stopped")


@pytest.fixture
def cli_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = sandbox_env(tmp_path / "home")
    yield env
    run(env, "reset", "--yes")


@pytest.mark.slow
def test_up_status_logs_down(cli_env: dict[str, str]) -> None:
    started = run({**cli_env, "SANDBOX_GRADER_KEY": "instructor-key"}, "up", "--json")
    assert started.returncode == 0, started.stderr
    status = json.loads(started.stdout)
    assert status["all_healthy"] is True
    for service in status["services"].values():  # the learner's app runs among them
        environ = Path(f"/proc/{service['pid']}/environ").read_bytes()
        assert b"SANDBOX_GRADER_KEY" not in environ, service
    assert requests.get(status["services"]["app"]["url"] + "/ready", timeout=5).status_code == 200

    again = run(cli_env, "up")
    assert "already running" in again.stdout

    assert run(cli_env, "status").returncode == 0
    app_log = run(cli_env, "logs", "app", "--since", "5m")
    assert '"logger": "app"' in app_log.stdout

    stopped = run(cli_env, "down", "--json")
    assert stopped.returncode == 0
    states = {s["state"] for s in json.loads(stopped.stdout)["services"].values()}
    assert states == {"stopped"}


@pytest.mark.slow
def test_stop_start_restart_one_service(cli_env: dict[str, str]) -> None:
    assert run(cli_env, "up").returncode == 0
    stopped = run(cli_env, "stop", "redis")
    assert "redis stopped" in stopped.stdout
    states = json.loads(run(cli_env, "status", "--json").stdout)["services"]
    assert (states["redis"]["state"], states["postgres"]["state"]) == ("stopped", "healthy")
    assert run(cli_env, "start", "redis").returncode == 0
    before = json.loads(run(cli_env, "status", "--json").stdout)["services"]["app"]["pid"]
    assert "restarted" in run(cli_env, "restart", "app").stdout
    after = json.loads(run(cli_env, "status", "--json").stdout)
    assert after["all_healthy"] is True
    assert after["services"]["app"]["pid"] != before
    unknown = run(cli_env, "stop", "mysql")
    assert unknown.returncode == 2
    assert "'mysql' is not one of 'postgres', 'redis', 'aws', 'faults', 'app'" in unknown.stderr
