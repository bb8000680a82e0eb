"""A learner's own stack: free ports, a state dir and a workspace in the test's folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.stack.embedded import EmbeddedBackend
from tests.conftest import stack_settings


@pytest.fixture
def learner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    base = stack_settings(tmp_path / "home")
    env = {
        "SANDBOX_HOME": str(base.home),
        "SANDBOX_WORKSPACE": str(tmp_path / "workspace"),
        "SANDBOX_POSTGRES_PORT": str(base.postgres_port),
        "SANDBOX_REDIS_PORT": str(base.redis_port),
        "SANDBOX_AWS_PORT": str(base.aws_port),
        "SANDBOX_APP_PORT": str(base.app_port),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env
    EmbeddedBackend(Settings.from_env(env)).reset()
