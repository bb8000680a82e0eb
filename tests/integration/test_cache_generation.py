"""No stale user list after a write: not under the reader/writer race, not across a Redis
restart that brings old pages back from the append-only file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from app import AppConfig, create_app, lifecycle
from sandbox.services import redis as redis_service
from tests.helpers import free_port


def emails(client: FlaskClient) -> list[str]:
    response = client.get("/api/users")
    assert response.status_code == 200
    return [user["email"] for user in response.get_json()["items"]]


def create(client: FlaskClient, email: str) -> None:
    response = client.post("/api/users", json={"email": email})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_reader_that_stores_its_page_after_a_write_cannot_hide_the_write(
    flask_app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(client, "before@example.org")
    cache = flask_app.extensions["cache"]
    store, page_read, write_done = cache.set_page, threading.Event(), threading.Event()

    def store_after_the_write(*args: Any) -> None:
        page_read.set()  # the reader holds the page it read before the write...
        write_done.wait(10)
        store(*args)  # ...and stores it after the write committed and invalidated

    monkeypatch.setattr(cache, "set_page", store_after_the_write)
    reader = threading.Thread(target=flask_app.test_client().get, args=("/api/users",))
    reader.start()
    assert page_read.wait(10)
    monkeypatch.setattr(cache, "set_page", store)  # only the reader is held
    create(client, "during@example.org")
    write_done.set()
    reader.join(10)

    assert emails(client) == ["during@example.org", "before@example.org"]


class OwnRedis:
    """A Redis only this test uses, with its append-only file, stopped and started at will."""

    def __init__(self, home: Path) -> None:
        self.config = redis_service.RedisConfig(home=home, port=free_port())
        self.server = redis_service.start(self.config)
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()  # SIGTERM: Redis flushes its append-only file

    def start(self) -> None:
        self.server = redis_service.start(self.config)

    def keys(self) -> list[bytes]:
        with redis.Redis.from_url(self.url) as client:
            return list(client.keys("users:*"))


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def app_on_own_redis(
    app_config: AppConfig, own_redis: OwnRedis, clean_state: None
) -> Iterator[Flask]:
    app = create_app(AppConfig(database_url=app_config.database_url, redis_url=own_redis.url))
    yield app
    lifecycle.close_resources(app)


def test_a_write_while_redis_is_down_shows_after_redis_returns_with_old_pages(
    app_on_own_redis: Flask, own_redis: OwnRedis
) -> None:
    client = app_on_own_redis.test_client()
    create(client, "before@example.org")
    assert emails(client) == ["before@example.org"]  # cached
    own_redis.stop()

    create(client, "during@example.org")  # the cache never fails a request
    own_redis.start()

    assert own_redis.keys(), "the old pages should be back from the append-only file"
    assert emails(client) == ["during@example.org", "before@example.org"]
