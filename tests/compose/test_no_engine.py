"""No engine answers: the compose backend says so and names the embedded backend."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.compose.conftest import SANDBOX

pytestmark = pytest.mark.compose


@pytest.mark.parametrize("command", [("up",), ("status",), ("logs", "app")])
def test_no_engine_is_one_clear_message(tmp_path: Path, command: tuple[str, ...]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env["DOCKER_HOST"] = f"unix://{tmp_path / 'no-such.sock'}"
    env["SANDBOX_HOME"] = str(tmp_path / "home")
    result = subprocess.run(
        [*SANDBOX, "--backend", "compose", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "the compose backend needs a running Docker engine" in result.stderr
    assert "no-such.sock" in result.stderr
    assert "--backend embedded" in result.stderr
    assert "Traceback" not in result.stderr
