"""Real servers for the tests, started through the sandbox's own launchers.

One PostgreSQL and one Redis serve the whole session on free ports, with their state in a
temporary SANDBOX_HOME; every app test starts from an empty users table and an empty cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from app import AppConfig, create_app
from sandbox.aws.deploy import DeployResult, deploy
from sandbox.config import Settings
from sandbox.services import postgres
from sandbox.services import redis as redis_service
from sandbox.services.process import ServerProcess
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.specs import free_port_variables
from tests.helpers import free_port

REPO = Path(__file__).resolve().parent.parent
LAMBDA_DIR = REPO / "lambda"


@pytest.fixture(scope="session")
def sandbox_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sandbox-home")


@pytest.fixture(scope="session")
def postgres_server(sandbox_home: Path) -> Iterator[ServerProcess]:
    config = postgres.PostgresConfig(home=sandbox_home, port=free_port())
    server = postgres.start(config)
    yield server
    server.stop()
    postgres.wipe(config)


@pytest.fixture(scope="session")
def redis_server(sandbox_home: Path) -> Iterator[ServerProcess]:
    server = redis_service.start(redis_service.RedisConfig(home=sandbox_home, port=free_port()))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_config(postgres_server: ServerProcess, redis_server: ServerProcess) -> AppConfig:
    return AppConfig(database_url=postgres_server.url, redis_url=redis_server.url, cache_ttl=60)


@pytest.fixture(scope="session")
def flask_app(app_config: AppConfig) -> Iterator[Flask]:
    app = create_app(app_config)
    yield app
    app.extensions["database"].close()
    app.extensions["cache"].close()


@pytest.fixture
def clean_state(postgres_server: ServerProcess, redis_server: ServerProcess) -> None:
    """Empty users table and cache before a test."""
    conn = psycopg2.connect(postgres_server.url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('users') IS NOT NULL")
            row = cur.fetchone()
            if row and row[0]:
                cur.execute("TRUNCATE users RESTART IDENTITY")
    finally:
        conn.close()
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()


@pytest.fixture
def client(flask_app: Flask, clean_state: None) -> FlaskClient:
    return flask_app.test_client()


def stack_settings(home: Path, **extra: str) -> Settings:
    """Settings for a whole stack on free ports in `home`."""
    env = {"SANDBOX_HOME": str(home), **free_port_variables(), **extra}
    return Settings.from_env(env)


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBackend]:
    """One whole embedded stack (emulator, PostgreSQL, Redis, app) shared by a session."""
    stack = EmbeddedBackend(stack_settings(tmp_path_factory.mktemp("stack") / "home"))
    stack.start()
    yield stack
    stack.reset()


@pytest.fixture(scope="session")
def aws_endpoint(running_stack: EmbeddedBackend) -> str:
    return running_stack.endpoint("aws")


@pytest.fixture(scope="session")
def deployed(aws_endpoint: str) -> DeployResult:
    """The processor deployed into the session's emulator."""
    return deploy(aws_endpoint, LAMBDA_DIR)
