"""The Redis list cache: a hit after a miss, invalidation on every write."""

from __future__ import annotations

import psycopg2
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from sandbox.services.process import ServerProcess


def cache_gets(result: str) -> float:
    value = REGISTRY.get_sample_value(
        "cache_operations_total", {"operation": "get", "result": result}
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


def test_cached_list_is_served_without_the_database(
    client: FlaskClient, postgres_server: ServerProcess
) -> None:
    client.post("/api/users", json={"email": "cached@example.org"})
    assert emails(client) == ["cached@example.org"]
    insert_behind_the_apps_back(postgres_server, "sneaky@example.org")
    assert emails(client) == ["cached@example.org"]  # still the cached page


def test_every_write_invalidates_the_list(
    client: FlaskClient, postgres_server: ServerProcess
) -> None:
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
