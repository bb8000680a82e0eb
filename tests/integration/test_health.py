"""Probes, and the app staying up when a backing service goes away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import AppConfig, create_app
from sandbox.services import redis as redis_service
from sandbox.services.process import ServerProcess
from tests.helpers import free_port


def test_health_reports_version_and_environment(client: FlaskClient) -> None:
    body = client.get("/health").get_json()
    assert body["status"] == "ok"
    assert body["version"] == "1.0.0"
    assert body["environment"] == "development"


def test_live_is_200_until_shutdown_begins(flask_app: Flask) -> None:
    # A separate app object: marking shutdown is one-way.
    assert flask_app.test_client().get("/health/live").status_code == 200


def test_ready_lists_each_check(client: FlaskClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    checks = response.get_json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["cache"]["status"] == "ok"


def test_request_id_is_echoed_or_generated(client: FlaskClient) -> None:
    echoed = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    generated = client.get("/health", headers={"X-Request-ID": "bad id\u00e9"})
    assert len(generated.headers["X-Request-ID"]) == 32


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[ServerProcess]:
    """A Redis only this test uses, so stopping it cannot disturb others."""
    server = redis_service.start(redis_service.RedisConfig(home=tmp_path, port=free_port()))
    yield server
    server.stop()


@pytest.fixture
def app_on_own_redis(
    app_config: AppConfig, own_redis: ServerProcess, clean_state: None
) -> Iterator[Flask]:
    config = AppConfig(database_url=app_config.database_url, redis_url=own_redis.url)
    app = create_app(config)
    yield app
    app.extensions["database"].close()
    app.extensions["cache"].close()


def test_redis_down_reads_still_work_and_ready_says_503(
    app_on_own_redis: Flask, own_redis: ServerProcess, tmp_path: Path
) -> None:
    client = app_on_own_redis.test_client()
    client.post("/api/users", json={"email": "before@example.org"})
    assert client.get("/api/users").status_code == 200  # fills the cache

    own_redis.stop()

    listed = client.get("/api/users")
    assert listed.status_code == 200
    assert [u["email"] for u in listed.get_json()["items"]] == ["before@example.org"]
    created = client.post("/api/users", json={"email": "during@example.org"})
    assert created.status_code == 201
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.content_type == "application/problem+json"
    assert ready.get_json()["checks"]["cache"]["status"] == "fail"
    assert ready.get_json()["checks"]["database"]["status"] == "ok"

    restarted = redis_service.start(redis_service.RedisConfig(home=tmp_path, port=own_redis.port))
    try:
        assert client.get("/ready").status_code == 200
    finally:
        restarted.stop()


def test_shutdown_marks_live_and_ready_503(app_config: AppConfig) -> None:
    from app import lifecycle

    app = create_app(app_config)
    try:
        lifecycle.of(app).begin_shutdown()
        client = app.test_client()
        assert client.get("/health/live").status_code == 503
        assert client.get("/ready").status_code == 503
        assert client.get("/health").status_code == 200  # started is still true
    finally:
        lifecycle.close_resources(app)
