"""One answer to "which backend?": the --backend flag, SANDBOX_BACKEND, the backend the last
`up` used, then embedded; every command, the grader and the TUI ask the same function."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.stack import choose_backend, remember_backend
from sandbox.tui.source import RealSource

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]


def env_for(home: Path, **extra: str) -> dict[str, str]:
    return {"SANDBOX_HOME": str(home), **extra}


def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


def test_the_flag_wins_over_the_environment_and_the_last_up(tmp_path: Path) -> None:
    env = env_for(tmp_path, SANDBOX_BACKEND="compose")
    remember_backend(settings(env), "compose")
    assert choose_backend(settings(env), "embedded", env) == "embedded"


def test_the_environment_wins_over_the_last_up(tmp_path: Path) -> None:
    env = env_for(tmp_path, SANDBOX_BACKEND="embedded")
    remember_backend(settings(env), "compose")
    assert choose_backend(settings(env), None, env) == "embedded"


def test_the_last_up_is_followed_when_nothing_else_is_said(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    remember_backend(settings(env), "compose")
    assert choose_backend(settings(env), None, env) == "compose"


def test_embedded_is_the_default(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    assert choose_backend(settings(env), None, env) == "embedded"


def test_the_tui_follows_the_last_up(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    remember_backend(settings(env), "compose")
    assert RealSource(env).backend_name == "compose"


COMMANDS = [
    ("deploy",),
    ("fire", "s3"),
    ("ddb", "scan"),
    ("lab", "start", "01-twelve-factor"),
    ("status",),
]


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env["SANDBOX_DOCKER"] = str(tmp_path / "no-docker")
    env["SANDBOX_WORKSPACE"] = str(tmp_path / "workspace")
    return {**env, **env_for(tmp_path / "home")}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_uses_the_backend_the_last_up_used(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """After a compose `up`, commands talk to compose (here: no Docker, a clear error),
    never to the embedded stack's ports."""
    env = cli_env(tmp_path)
    remember_backend(settings(env), "compose")
    result = subprocess.run(
        [*SANDBOX, *command], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "is not installed" in result.stderr
    assert "Traceback" not in result.stderr
