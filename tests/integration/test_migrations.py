"""The app adopts a database made by an earlier release or by lab 01's starter: its users are
listed, and every later write shows in the cached list."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from flask import Flask

from app import AppConfig, create_app, db, lifecycle
from sandbox.services import postgres
from sandbox.services.process import ServerProcess

# The table lab 01's starter makes (labs/01-twelve-factor/starter/app/__init__.py).
STARTER_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id SERIAL PRIMARY KEY,
    email VARCHAR(255) UNIQUE NOT NULL,
    name VARCHAR(255),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)
"""


def execute(url: str, *statements: str) -> None:
    with contextlib.closing(psycopg2.connect(url)) as conn, conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


@pytest.fixture
def database_url(postgres_server: ServerProcess) -> Iterator[str]:
    """A new, empty database on the session's server, dropped afterwards."""
    name = f"adopt_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(postgres.url(postgres_server.port, "postgres"))
    admin.autocommit = True
    try:
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        yield postgres.url(postgres_server.port, name)
        admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.close()


@contextlib.contextmanager
def app_on(database_url: str, redis_server: ServerProcess) -> Iterator[Flask]:
    app = create_app(AppConfig(database_url=database_url, redis_url=redis_server.url))
    try:
        yield app
    finally:
        lifecycle.close_resources(app)


def listed(app: Flask) -> list[str]:
    response = app.test_client().get("/api/users")
    assert response.status_code == 200
    return [user["email"] for user in response.get_json()["items"]]


def assert_writes_show_in_the_cached_list(app: Flask, existing: str) -> None:
    client = app.test_client()
    assert listed(app) == [existing]
    assert listed(app) == [existing]  # now cached
    user = client.post("/api/users", json={"email": "new@example.org"}).get_json()
    assert listed(app) == ["new@example.org", existing]
    assert client.put(f"/api/users/{user['id']}", json={"name": "Renamed"}).status_code == 200
    assert client.delete(f"/api/users/{user['id']}").status_code == 204
    assert listed(app) == [existing]


def test_a_database_made_by_lab_01s_starter_is_adopted(
    database_url: str, redis_server: ServerProcess
) -> None:
    execute(
        database_url,
        STARTER_SCHEMA,
        "INSERT INTO users (email, name) VALUES ('starter@example.org', 'Old')",
    )
    with app_on(database_url, redis_server) as app:
        assert_writes_show_in_the_cached_list(app, "starter@example.org")


def test_a_database_made_by_the_previous_release_is_adopted(
    database_url: str, redis_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as previous_release:
        previous_release.setattr(db, "MIGRATIONS", db.MIGRATIONS[:1])
        assert db.migrate_when_available(database_url, 1, timeout=5) == 1
    execute(database_url, "INSERT INTO users (email) VALUES ('earlier@example.org')")

    with app_on(database_url, redis_server) as app:
        assert_writes_show_in_the_cached_list(app, "earlier@example.org")
        assert app.extensions["database"].migrate() == 0  # all applied, once
