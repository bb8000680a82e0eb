"""The Redis list cache: a hit after a miss, and every write visible in the next list."""

from __future__ import annotations

import psycopg2
import redis
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from app import AppConfig
from sandbox.services.process import ServerProcess


def cache_gets(result: str) -> float:
    value = REGISTRY.get_sample_value(
        "cache_operations_total", {"operation": "get", "result": result}
    )
    return value or 0.0


def page_queries() -> float:
    value = REGISTRY.get_sample_value(
        "db_operations_total", {"operation": "select", "table": "users"}
    )
    return value or 0.0


def emails(client: FlaskClient) -> list[str]:
    return [user["email"] for user in client.get("/api/users").get_json()["items"]]


def insert_behind_the_apps_back(server: ServerProcess, email: str) -> None:
    conn = psycopg2.connect(server.url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO users (email) VALUES (%s)", (email,))
    finally:
        conn.close()


def test_second_read_is_a_cache_hit(client: FlaskClient) -> None:
    client.post("/api/users", json={"email": "a@example.org"})
    hits, misses = cache_gets("hit"), cache_gets("miss")
    first, second = client.get("/api/users"), client.get("/api/users")
    assert first.get_json() == second.get_json()
    assert cache_gets("miss") == misses + 1
    assert cache_gets("hit") == hits + 1


def test_a_cached_list_is_served_without_querying_the_users_table(client: FlaskClient) -> None:
    client.post("/api/users", json={"email": "cached@example.org"})
    assert emails(client) == ["cached@example.org"]
    queries = page_queries()
    assert emails(client) == ["cached@example.org"]
    assert page_queries() == queries


def test_a_write_behind_the_apps_back_shows_in_the_next_list(
    client: FlaskClient, postgres_server: ServerProcess
) -> None:
    client.post("/api/users", json={"email": "cached@example.org"})
    assert emails(client) == ["cached@example.org"]
    insert_behind_the_apps_back(postgres_server, "psql@example.org")
    assert emails(client) == ["psql@example.org", "cached@example.org"]


def test_every_write_shows_in_the_next_list(client: FlaskClient) -> None:
    user = client.post("/api/users", json={"email": "one@example.org"}).get_json()
    assert emails(client) == ["one@example.org"]
    client.post("/api/users", json={"email": "two@example.org"})
    assert emails(client) == ["two@example.org", "one@example.org"]
    client.patch(f"/api/users/{user['id']}", json={"email": "uno@example.org"})
    assert "uno@example.org" in emails(client)
    client.put(f"/api/users/{user['id']}", json={"email": "eins@example.org"})
    assert "eins@example.org" in emails(client)
    client.delete(f"/api/users/{user['id']}")
    assert emails(client) == ["two@example.org"]


def test_pages_are_cached_separately(client: FlaskClient) -> None:
    for i in range(3):
        client.post("/api/users", json={"email": f"p{i}@example.org"})
    one = client.get("/api/users?limit=1").get_json()["items"]
    two = client.get("/api/users?limit=2").get_json()["items"]
    assert len(one) == 1
    assert len(two) == 2


def test_cached_pages_expire_so_old_generations_do_not_pile_up(
    client: FlaskClient, redis_server: ServerProcess, app_config: AppConfig
) -> None:
    for i in range(3):
        client.post("/api/users", json={"email": f"g{i}@example.org"})
        assert client.get("/api/users").status_code == 200  # one page per generation
    with redis.Redis.from_url(redis_server.url) as cache:
        keys = cache.keys("users:list:*")
        assert len(keys) == 3
        assert all(0 < cache.ttl(key) <= app_config.cache_ttl for key in keys)
