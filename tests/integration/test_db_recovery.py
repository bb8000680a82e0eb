"""The app across a PostgreSQL restart and dropped connections: reads recover with no 5xx,
a write whose outcome is unknown answers 503 with Retry-After, never 500.

Each test runs its own PostgreSQL, so stopping it cannot disturb the session's server.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from flask import Flask
from werkzeug.test import TestResponse

from app import AppConfig, create_app, lifecycle
from sandbox.services import postgres
from sandbox.services.process import ServerProcess
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.slow
POOL_SIZE = 4
APP_NAME = "cloud-native-app"  # the application_name the app's pool connects with


class OwnPostgres:
    """A PostgreSQL only this test uses, restarted on the same data dir and port."""

    def __init__(self, home: Path) -> None:
        self.config = postgres.PostgresConfig(home=home, port=free_port())
        self.server: ServerProcess = postgres.start(self.config)
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server = postgres.start(self.config)

    def close(self) -> None:
        self.server.stop()
        postgres.wipe(self.config)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with contextlib.closing(psycopg2.connect(self.url)) as conn, conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def app_backends(self, waiting_on_a_lock: bool = False) -> list[int]:
        sql = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
        if waiting_on_a_lock:
            sql += " AND wait_event_type = 'Lock'"
        return [row[0] for row in self.query(sql, (APP_NAME,))]

    @contextlib.contextmanager
    def users_locked(self) -> Iterator[None]:
        """Hold an exclusive lock on users: the app's statements wait until the block ends."""
        with contextlib.closing(psycopg2.connect(self.url)) as conn, conn.cursor() as cur:
            cur.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            yield
            conn.rollback()


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[OwnPostgres]:
    server = OwnPostgres(tmp_path)
    yield server
    server.close()


@pytest.fixture
def app(own_postgres: OwnPostgres, redis_server: ServerProcess) -> Iterator[Flask]:
    config = AppConfig(
        database_url=own_postgres.url, redis_url=redis_server.url, database_pool_size=POOL_SIZE
    )
    flask_app = create_app(config)
    yield flask_app
    lifecycle.close_resources(flask_app)


def create_user(app: Flask) -> int:
    response = app.test_client().post("/api/users", json={"email": "kept@example.org"})
    assert response.status_code == 201, response.get_data(as_text=True)
    user_id: int = response.get_json()["id"]
    return user_id


class InFlight:
    """A request sent from another thread, its response read once it finished."""

    def __init__(self, app: Flask, method: str, path: str, **kwargs: Any) -> None:
        self.response: TestResponse | None = None
        client = app.test_client()
        self.thread = threading.Thread(target=self._send, args=(client, method, path, kwargs))
        self.thread.start()

    def _send(self, client: Any, method: str, path: str, kwargs: dict[str, Any]) -> None:
        self.response = client.open(path, method=method, **kwargs)

    def result(self) -> TestResponse:
        self.thread.join(20)
        assert self.response is not None, "the request did not finish"
        return self.response


def fill_the_pool(app: Flask, pg: OwnPostgres, user_id: int) -> None:
    """Make the app open POOL_SIZE connections at once; they stay in its pool, idle."""
    with pg.users_locked():
        reads = [InFlight(app, "GET", f"/api/users/{user_id}") for _ in range(POOL_SIZE)]
        assert wait_for(lambda: len(pg.app_backends(waiting_on_a_lock=True)) == POOL_SIZE)
    assert [read.result().status_code for read in reads] == [200] * POOL_SIZE
    assert len(pg.app_backends()) == POOL_SIZE


def assert_unavailable_with_retry_after(response: TestResponse, detail_part: str) -> None:
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert detail_part in response.get_json()["detail"]


def test_reads_after_a_restart_all_succeed_though_every_pooled_connection_died(
    app: Flask, own_postgres: OwnPostgres
) -> None:
    user_id = create_user(app)
    fill_the_pool(app, own_postgres, user_id)

    own_postgres.stop()
    own_postgres.start()

    client = app.test_client()
    statuses = [client.get(f"/api/users/{user_id}").status_code for _ in range(30)]
    assert statuses == [200] * 30
    assert client.get("/api/users").status_code == 200
    assert client.get("/ready").status_code == 200


def test_writes_after_a_restart_succeed(app: Flask, own_postgres: OwnPostgres) -> None:
    user_id = create_user(app)
    fill_the_pool(app, own_postgres, user_id)

    own_postgres.stop()
    own_postgres.start()

    response = app.test_client().patch(f"/api/users/{user_id}", json={"name": "after"})
    assert response.status_code == 200


def test_a_read_cut_off_mid_query_is_retried_and_answers_200(
    app: Flask, own_postgres: OwnPostgres
) -> None:
    user_id = create_user(app)
    with own_postgres.users_locked():
        read = InFlight(app, "GET", f"/api/users/{user_id}")
        assert wait_for(lambda: len(own_postgres.app_backends(waiting_on_a_lock=True)) == 1)
        [backend] = own_postgres.app_backends(waiting_on_a_lock=True)
        own_postgres.query("SELECT pg_terminate_backend(%s)", (backend,))
    response = read.result()
    assert response.status_code == 200
    assert response.get_json()["id"] == user_id


def test_a_write_cut_off_mid_flight_is_503_with_retry_after_saying_the_outcome_is_unknown(
    app: Flask, own_postgres: OwnPostgres
) -> None:
    user_id = create_user(app)
    with own_postgres.users_locked():
        write = InFlight(
            app, "PUT", f"/api/users/{user_id}", json={"email": "kept@example.org", "name": "maybe"}
        )
        assert wait_for(lambda: len(own_postgres.app_backends(waiting_on_a_lock=True)) == 1)
        [backend] = own_postgres.app_backends(waiting_on_a_lock=True)
        own_postgres.query("SELECT pg_terminate_backend(%s)", (backend,))
    assert_unavailable_with_retry_after(write.result(), "may or may not have been saved")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/users", {"email": "new@example.org"}),
        ("PUT", "/api/users/{id}", {"email": "new@example.org"}),
        ("PATCH", "/api/users/{id}", {"name": "new"}),
        ("DELETE", "/api/users/{id}", None),
    ],
)
def test_a_write_while_postgres_is_down_is_503_with_retry_after(
    app: Flask, own_postgres: OwnPostgres, method: str, path: str, body: Any
) -> None:
    user_id = create_user(app)
    own_postgres.stop()
    try:
        response = app.test_client().open(path.format(id=user_id), method=method, json=body)
        assert_unavailable_with_retry_after(response, "database")
    finally:
        own_postgres.start()
