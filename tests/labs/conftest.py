"""A learner's own stack: free ports, a state dir and a workspace in the test's folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.specs import free_port_variables


@pytest.fixture
def learner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    env = {
        "SANDBOX_HOME": str((tmp_path / "home").absolute()),
        "SANDBOX_WORKSPACE": str(tmp_path / "workspace"),
        **free_port_variables(),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env
    EmbeddedBackend(Settings.from_env(env)).reset()
