"""Validation of request bodies and query parameters; every failure is a 400 with a reason."""

from __future__ import annotations

import re
from typing import Any

from flask import request

from app.problems import ApiError

EMAIL = re.compile(r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s.\x00]+$")  # PostgreSQL text has no NUL
MAX_EMAIL, MAX_NAME = 254, 200
USER_FIELDS = {"email", "name"}
MAX_ID = 2**63 - 1  # BIGINT: larger ids cannot exist


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, whatever Content-Type the client sent."""
    body = request.get_json(force=True, silent=True)
    if body is None and request.get_data():
        raise ApiError(400, "request body is not valid JSON")
    if not isinstance(body, dict):
        raise ApiError(400, 'request body must be a JSON object, e.g. {"email": "a@b.org"}')
    unknown = sorted(set(body) - USER_FIELDS)
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(unknown)}; allowed: email, name")
    return body


def email(body: dict[str, Any], required: bool) -> str | None:
    if "email" not in body:
        if required:
            raise ApiError(400, "email is required")
        return None
    value = body["email"]
    if not isinstance(value, str) or len(value) > MAX_EMAIL or not EMAIL.match(value.strip()):
        raise ApiError(400, "email must be an address like name@example.org")
    return value.strip()


def name(body: dict[str, Any]) -> str | None:
    value = body.get("name")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_NAME or "\x00" in value:
        raise ApiError(
            400, f"name must be a string of at most {MAX_NAME} characters, without NUL characters"
        )
    return value


def page_args() -> tuple[int, int]:
    limit = _int_arg("limit", default=20, low=1, high=100)
    offset = _int_arg("offset", default=0, low=0, high=1_000_000)
    return limit, offset


def _int_arg(key: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(key)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(400, f"{key} must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def user_id_exists_in_range(user_id: int) -> bool:
    return 0 < user_id <= MAX_ID
