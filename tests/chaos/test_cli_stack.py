"""`sandbox chaos` through the real command, on a whole stack: its rules reach the emulator,
`down` clears them, and with the stack down the command says so (no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.stack.specs import free_port_variables

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]
pytestmark = pytest.mark.slow


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SANDBOX, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    return {**clean, "SANDBOX_HOME": str(tmp_path / "home"), **free_port_variables()}


def test_rules_set_by_the_command_are_gone_after_down_and_up(env: dict[str, str]) -> None:
    try:
        assert run(env, "up", "--json").returncode == 0
        added = run(env, "chaos", "add", "sqs", "--probability", "0.5", "--json")
        assert json.loads(added.stdout)["faults"] == [{"service": "sqs", "probability": 0.5}]
        assert run(env, "down").returncode == 0
        down = run(env, "chaos", "list")
        assert down.returncode == 1
        assert "sandbox up" in down.stderr
        assert "Traceback" not in down.stderr
        assert run(env, "up", "--json").returncode == 0
        listed = run(env, "chaos", "list", "--json")
        assert json.loads(listed.stdout) == {"faults": [], "effects": {"latency": 0}}
    finally:
        run(env, "reset", "--yes")
