"""A real compose stack for the compose tests: the Docker engine that answers (DOCKER_HOST),
one project of our own on free 127.0.0.1 ports, and `down -v` at the end, whatever happened.

No engine answers: every test that needs one is skipped, saying how to start one (only
.ci/docker-engine installs and starts an engine; these tests never do). The images: CI's
offline stand-ins (.ci/docker/compose.offline.yaml) when they are built here, or whatever
SANDBOX_COMPOSE_FILES names (empty: compose.yaml's pinned images, which the engine pulls).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from sandbox.config import Settings
from sandbox.services.process import free_ports
from sandbox.stack.compose import COMPOSE_FILE, ComposeBackend, project_name

REPO = COMPOSE_FILE.parent
OFFLINE = REPO / ".ci" / "docker" / "compose.offline.yaml"
SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]
SERVICES = ("postgres", "redis", "aws", "app")
# For a request the app is stopped after: its connection ends with the answer. requests
# keeps it open while the response object lives, and gunicorn's shutdown then waits its 2 s
# keep-alive linger for it.
CLOSE = {"Connection": "close"}


def docker(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@dataclass
class ComposeStack:
    """The CLI with `--backend compose` on this session's stack, and what it is made of."""

    env: dict[str, str]
    home: Path
    workspace: Path

    @property
    def project(self) -> str:
        return project_name(self.home)

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*SANDBOX, "--backend", "compose", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ok(self, *args: str, timeout: float = 300) -> str:
        result = self.run(*args, timeout=timeout)
        assert result.returncode == 0, f"sandbox {' '.join(args)}:\n{result.stderr}"
        return result.stdout

    def backend(self) -> ComposeBackend:
        """The backend in this process: a status costs two docker calls, not a CLI start."""
        return ComposeBackend(Settings.from_env(self.env))

    def states(self) -> dict[str, str]:
        return {n: str(s.state) for n, s in self.backend().status().services.items()}

    def url(self, service: str) -> str:
        return self.backend().endpoint(service)

    def containers(self) -> list[dict[str, Any]]:
        label = f"label=com.docker.compose.project={self.project}"
        ids = docker("ps", "--all", "--quiet", "--filter", label, env=self.env).stdout.split()
        return list(json.loads(docker("inspect", *ids, env=self.env).stdout)) if ids else []

    def volumes(self) -> list[str]:
        label = f"label=com.docker.compose.project={self.project}"
        listed = docker("volume", "ls", "--quiet", "--filter", label, env=self.env)
        return sorted(listed.stdout.split())

    def remove(self) -> None:
        """`down -v` straight through docker compose: it must work even if our code broke."""
        docker(
            "compose",
            "-p",
            self.project,
            "down",
            "--volumes",
            "--remove-orphans",
            "--timeout",
            "10",
            env=self.env,
        )


def _engine_error(env: dict[str, str]) -> str | None:
    try:
        answer = docker("info", "--format", "{{.ServerVersion}}", env=env)
    except FileNotFoundError:
        return "the docker command is not installed"
    if answer.returncode != 0:
        return (answer.stderr.strip().splitlines() or ["docker info failed"])[-1]
    if docker("compose", "version", env=env).returncode != 0:
        return "`docker compose` (Compose v2) is not installed"
    return None


def _unavailable(reason: str) -> NoReturn:
    """Skip; but on CI (COMPOSE_TESTS_REQUIRED=1, set by .ci/run) a skip would hide a
    broken engine or image build, so fail."""
    if os.environ.get("COMPOSE_TESTS_REQUIRED") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _missing_stand_ins(env: dict[str, str]) -> list[str]:
    images = [
        s["image"]
        for s in yaml.safe_load(OFFLINE.read_text())["services"].values()
        if "image" in s and "build" not in s
    ]
    return [i for i in images if docker("image", "inspect", i, env=env).returncode != 0]


def _compose_files(env: dict[str, str]) -> str:
    """SANDBOX_COMPOSE_FILES as the person running the tests set it, else the stand-ins."""
    if "SANDBOX_COMPOSE_FILES" in os.environ:
        return os.environ["SANDBOX_COMPOSE_FILES"]
    missing = _missing_stand_ins(env)
    if missing:
        _unavailable(
            f"the offline stand-in images are not built here ({', '.join(missing)}): build "
            "them with .ci/docker/build-images, or set SANDBOX_COMPOSE_FILES= (empty) to test "
            "compose.yaml's pinned images (the engine pulls them)"
        )
    return str(OFFLINE)


# Module order saves stack starts: the first `up` comes first, `reset` (which leaves the
# stack down, its data gone) last. Tests keep their order within a module.
MODULE_ORDER = ("test_no_engine", "test_stack", "test_serverless", "test_lab", "test_reset")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        stem = Path(str(item.fspath)).stem
        return MODULE_ORDER.index(stem) if stem in MODULE_ORDER else len(MODULE_ORDER)

    items.sort(key=rank)


@pytest.fixture(scope="session")
def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}


@pytest.fixture(scope="session")
def engine(base_env: dict[str, str]) -> dict[str, str]:
    """The environment of an engine that answers, or a skip saying how to get one."""
    error = _engine_error(base_env)
    if error is not None:
        where = base_env.get("DOCKER_HOST", "the default socket")
        _unavailable(
            f"no Docker engine answers at {where} ({error}): start Docker, or on CI "
            "`.ci/docker-engine start` and `. $(.ci/docker-engine env-file)`"
        )
    return base_env


@pytest.fixture(scope="session")
def stack(
    engine: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ComposeStack]:
    root = tmp_path_factory.mktemp("compose")
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    env = {
        **engine,
        "SANDBOX_HOME": str(root / "home"),  # the project name comes from it: ours alone
        "SANDBOX_WORKSPACE": str(root / "workspace"),
        "SANDBOX_AWS_EMULATOR": "free",  # LocalStack's image cannot be built offline
        "SANDBOX_COMPOSE_FILES": _compose_files(engine),
        **{f"SANDBOX_{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    created = ComposeStack(env, root / "home", root / "workspace")
    try:
        yield created
    finally:
        created.remove()


@pytest.fixture
def running(stack: ComposeStack) -> ComposeStack:
    """The stack up and healthy (a test before may have stopped it). Started in this process,
    not by a CLI start per test: the tests about `sandbox up` run the command themselves."""
    stack.backend().start(timeout=300)  # a no-op when every service is healthy
    return stack
