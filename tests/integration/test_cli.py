"""The `sandbox` command as a person runs it: real processes, clear errors, no tracebacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from sandbox.services import postgres
from tests.helpers import free_port, wait_for

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]


def sandbox_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env.update(
        SANDBOX_HOME=str(home),
        SANDBOX_POSTGRES_PORT=str(free_port()),
        SANDBOX_REDIS_PORT=str(free_port()),
        SANDBOX_APP_PORT=str(free_port()),
    )
    env.update(extra)
    return env


def test_version() -> None:
    result = subprocess.run([*SANDBOX, "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "sandbox, version" in result.stdout


def test_bad_port_setting_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, SANDBOX_APP_PORT="eighty")
    result = subprocess.run([*SANDBOX, "run"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "SANDBOX_APP_PORT='eighty' is not a usable port" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_run_serves_the_app_until_interrupted(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path)
    command = [*SANDBOX, "run", "--json"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            endpoints = json.loads(_read_json_block(proc.stdout))
            assert set(endpoints) == {"postgres", "redis", "app"}
            ready = requests.get(endpoints["app"]["url"] + "/ready", timeout=5)
            assert ready.status_code == 200
            pids = [info["pid"] for info in endpoints.values()]
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)
    postgres.wipe(postgres.PostgresConfig(home=tmp_path))  # its private data folder, if any
    assert proc.returncode == 0
    assert wait_for(lambda: not any(_alive(pid) for pid in pids), timeout=10)


def _read_json_block(stream: object) -> str:
    lines = []
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line)
        if line.startswith("}"):
            break
    return "".join(lines)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
