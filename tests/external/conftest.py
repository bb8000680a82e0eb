"""Services the sandbox does not start: an emulator, PostgreSQL, Redis and the app, started
by the tests themselves (no supervisor) on free ports, and the CLI pointed at them with
`--backend external`.

Every environment given to the CLI keeps AWS traffic on this machine even by mistake: no
instance metadata, no credential or config files, and AWS_ENDPOINT_URL on a closed loopback
port (boto3 uses it whenever no endpoint is passed, i.e. on the real-AWS path).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.services import app as app_service
from sandbox.services import aws as emulator_service
from sandbox.services.process import ServerProcess
from tests.conftest import REPO
from tests.helpers import free_port

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]
CLOSED_PORT = "http://127.0.0.1:9"  # discard: nothing listens, a connection is refused at once


def no_route_out(tmp: Path) -> dict[str, str]:
    """AWS settings under which botocore cannot reach any host off this machine."""
    return {
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": CLOSED_PORT,
        "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
    }


def external_env(home: Path, **variables: str) -> dict[str, str]:
    """This process's environment without any SANDBOX_* or AWS_* setting, plus `variables`."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "AWS_"))}
    return {**kept, **no_route_out(home), "SANDBOX_HOME": str(home), **variables}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`sandbox --backend external ARGS` as a person runs it (no terminal on stdin)."""
    argv = [*SANDBOX, "--backend", "external", *args]
    return subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="session")
def outside_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A ministack the sandbox did not start (as a classroom's shared emulator would be)."""
    home = tmp_path_factory.mktemp("outside-emulator")
    server = emulator_service.start(emulator_service.AwsConfig(home=home, port=free_port()))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def outside_app(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: ServerProcess,
    redis_server: ServerProcess,
) -> Iterator[ServerProcess]:
    """The project's app under gunicorn, on the tests' own PostgreSQL and Redis."""
    config = app_service.AppServiceConfig(
        home=tmp_path_factory.mktemp("outside-app"),
        app_dir=REPO,
        database_url=postgres_server.url,
        redis_url=redis_server.url,
        port=free_port(),
    )
    server = app_service.start(config)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def outside(
    outside_emulator: ServerProcess,
    postgres_server: ServerProcess,
    redis_server: ServerProcess,
    outside_app: ServerProcess,
) -> dict[str, str]:
    """The four variables of the external backend, each naming one of those servers."""
    return {
        "SANDBOX_AWS_ENDPOINT": outside_emulator.url,
        "SANDBOX_POSTGRES_URL": postgres_server.url,
        "SANDBOX_REDIS_URL": redis_server.url,
        "SANDBOX_APP_URL": outside_app.url,
    }


@pytest.fixture
def env(tmp_path: Path, outside: dict[str, str]) -> dict[str, str]:
    return external_env(tmp_path / "home", **outside)
