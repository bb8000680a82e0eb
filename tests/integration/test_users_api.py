"""The users API against a real PostgreSQL and Redis: every endpoint and every error case."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

PROBLEM = "application/problem+json"


def create(client: FlaskClient, email: str, name: str | None = "Ada") -> dict[str, Any]:
    response = client.post("/api/users", json={"email": email, "name": name})
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def assert_problem(response: Any, status: int, detail_part: str) -> None:
    assert response.status_code == status
    assert response.content_type == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert detail_part in body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_create_returns_the_user_with_location(client: FlaskClient) -> None:
    response = client.post("/api/users", json={"email": "ada@example.org", "name": "Ada"})
    assert response.status_code == 201
    user = response.get_json()
    assert user["email"] == "ada@example.org"
    assert user["name"] == "Ada"
    assert response.headers["Location"] == f"/api/users/{user['id']}"
    assert user["created_at"] == user["updated_at"]


def test_get_returns_a_created_user(client: FlaskClient) -> None:
    user = create(client, "grace@example.org", "Grace")
    response = client.get(f"/api/users/{user['id']}")
    assert response.status_code == 200
    assert response.get_json() == user


def test_list_is_newest_first_and_paginated(client: FlaskClient) -> None:
    emails = [f"user{i}@example.org" for i in range(5)]
    for email in emails:
        create(client, email)
    first = client.get("/api/users?limit=2").get_json()
    second = client.get("/api/users?limit=2&offset=2").get_json()
    assert [u["email"] for u in first["items"]] == ["user4@example.org", "user3@example.org"]
    assert [u["email"] for u in second["items"]] == ["user2@example.org", "user1@example.org"]
    assert first["total"] == 5
    assert (first["limit"], second["offset"]) == (2, 2)


def test_list_past_the_end_is_empty_with_total(client: FlaskClient) -> None:
    create(client, "only@example.org")
    page = client.get("/api/users?offset=10").get_json()
    assert page["items"] == []
    assert page["total"] == 1


def test_put_updates_the_fields_sent_and_keeps_the_others(client: FlaskClient) -> None:
    user = create(client, "old@example.org", "Old")
    response = client.put(f"/api/users/{user['id']}", json={"email": "new@example.org"})
    assert response.status_code == 200
    updated = response.get_json()
    assert (updated["email"], updated["name"]) == ("new@example.org", "Old")
    assert updated["updated_at"] > user["updated_at"]


def test_put_with_only_a_name_updates_the_name_as_the_course_clients_expect(
    client: FlaskClient,
) -> None:
    user = create(client, "course@example.org", "Before")
    response = client.put(f"/api/users/{user['id']}", json={"name": "After"})
    assert response.status_code == 200
    updated = response.get_json()
    assert (updated["email"], updated["name"]) == ("course@example.org", "After")
    assert client.get(f"/api/users/{user['id']}").get_json()["name"] == "After"


def test_put_can_clear_the_name_by_sending_null(client: FlaskClient) -> None:
    user = create(client, "clear@example.org", "Named")
    response = client.put(f"/api/users/{user['id']}", json={"name": None})
    assert response.status_code == 200
    assert response.get_json()["name"] is None


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, "nothing to update: send email and/or name"),
        ({"foo": 1}, "allowed: email, name"),
        ({"name": "x", "role": "admin"}, "unknown field(s): role"),
        ({"email": "not-an-address"}, "email must be"),
    ],
)
def test_update_without_a_field_it_can_change_is_400_naming_the_fields(
    client: FlaskClient, method: str, body: dict[str, Any], detail: str
) -> None:
    user = create(client, "unchanged@example.org", "Same")
    response = client.open(f"/api/users/{user['id']}", method=method, json=body)
    assert_problem(response, 400, detail)
    assert client.get(f"/api/users/{user['id']}").get_json() == user


def test_patch_changes_only_given_fields(client: FlaskClient) -> None:
    user = create(client, "keep@example.org", "Before")
    response = client.patch(f"/api/users/{user['id']}", json={"name": "After"})
    assert response.status_code == 200
    assert response.get_json()["email"] == "keep@example.org"
    assert response.get_json()["name"] == "After"


def test_delete_then_get_is_404(client: FlaskClient) -> None:
    user = create(client, "gone@example.org")
    assert client.delete(f"/api/users/{user['id']}").status_code == 204
    assert_problem(client.get(f"/api/users/{user['id']}"), 404, "no user")
    assert_problem(client.delete(f"/api/users/{user['id']}"), 404, "no user")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"a string"', "JSON object"),
        (b"", "JSON object"),
        (b"{}", "email is required"),
        (b'{"name": "no email"}', "email is required"),
        (b'{"email": "not-an-address"}', "email must be"),
        (b'{"email": 42}', "email must be"),
        (b'{"email": "a@b.org", "name": 7}', "name must be"),
        (b'{"email": "a@b.org", "name": "nul\\u0000byte"}', "without NUL"),
        (b'{"email": "a\\u0000b@c.org"}', "email must be"),
        (b'{"email": "a@b.org", "role": "admin"}', "unknown field"),
    ],
)
def test_create_rejects_bad_bodies_with_400(client: FlaskClient, body: bytes, detail: str) -> None:
    response = client.post("/api/users", data=body, content_type="application/json")
    assert_problem(response, 400, detail)


def test_duplicate_email_is_409_case_insensitive(client: FlaskClient) -> None:
    create(client, "dup@example.org")
    response = client.post("/api/users", json={"email": "DUP@example.org"})
    assert_problem(response, 409, "already exists")


def test_update_to_a_taken_email_is_409(client: FlaskClient) -> None:
    create(client, "taken@example.org")
    other = create(client, "other@example.org")
    response = client.patch(f"/api/users/{other['id']}", json={"email": "taken@example.org"})
    assert_problem(response, 409, "already exists")


@pytest.mark.parametrize("path", ["/api/users/12345", "/api/users/99999999999999999999"])
def test_unknown_id_is_404(client: FlaskClient, path: str) -> None:
    assert_problem(client.get(path), 404, "no user")
    assert_problem(client.put(path, json={"email": "x@example.org"}), 404, "no user")
    assert_problem(client.put(path, json={"name": "x"}), 404, "no user")


def test_unknown_path_is_problem_404(client: FlaskClient) -> None:
    assert_problem(client.get("/api/nothing-here"), 404, "")


def test_wrong_method_is_405_with_allow_header(client: FlaskClient) -> None:
    response = client.delete("/api/users")
    assert_problem(response, 405, "not allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "offset=-1", "limit=1.5"])
def test_bad_pagination_is_400(client: FlaskClient, query: str) -> None:
    assert_problem(client.get(f"/api/users?{query}"), 400, "must be a whole number")


def test_oversized_body_is_413(client: FlaskClient) -> None:
    body = b'{"email": "a@b.org", "name": "' + b"x" * 70_000 + b'"}'
    response = client.post("/api/users", data=body, content_type="application/json")
    assert_problem(response, 413, "")


def test_openapi_document_describes_the_users_api(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/api/users", "/api/users/{user_id}"}
    assert set(document["paths"]["/api/users/{user_id}"]) >= {"get", "put", "patch", "delete"}
