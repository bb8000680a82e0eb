"""/api/users: list (cached), create, get, update (PUT or PATCH), delete."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, url_for

from app import users_repo, validation
from app.cache import Cache
from app.db import Database
from app.problems import ApiError

bp = Blueprint("users", __name__, url_prefix="/api/users")


def _db() -> Database:
    db: Database = current_app.extensions["database"]
    return db


def _cache() -> Cache:
    cache: Cache = current_app.extensions["cache"]
    return cache


@bp.get("")
def list_users() -> Response:
    limit, offset = validation.page_args()
    page = f"{limit}:{offset}"
    body = _cached_page(page)
    if body is None:
        generation, users = users_repo.list_page(_db(), limit, offset)
        body = json.dumps(users, separators=(",", ":")).encode()
        if generation is not None:
            _cache().set_page(generation, page, body)
    return Response(body, mimetype="application/json")


def _cached_page(page: str) -> bytes | None:
    if not _cache().enabled:
        return None  # no need to ask for the generation
    generation = users_repo.list_generation(_db())
    return None if generation is None else _cache().get_page(generation, page)


@bp.post("")
def create_user() -> tuple[Response, int, dict[str, str]]:
    body = validation.json_object()
    email = validation.email(body, required=True)
    assert email is not None
    try:
        user = users_repo.create(_db(), email, validation.name(body))
    except users_repo.DuplicateEmail:
        raise _conflict(email) from None
    location = url_for("users.get_user", user_id=user["id"])
    return jsonify(user), 201, {"Location": location}


@bp.get("/<int:user_id>")
def get_user(user_id: int) -> Response:
    user = users_repo.get(_db(), user_id) if validation.user_id_exists_in_range(user_id) else None
    if user is None:
        raise _not_found(user_id)
    return jsonify(user)


# PUT as in the course's app: the fields sent are updated, the others kept (same as PATCH).
@bp.route("/<int:user_id>", methods=["PUT", "PATCH"])
def update_user(user_id: int) -> Response:
    changes = _changes(validation.json_object())
    if not validation.user_id_exists_in_range(user_id):
        raise _not_found(user_id)
    try:
        user = users_repo.update(_db(), user_id, changes)
    except users_repo.DuplicateEmail:
        raise _conflict(str(changes.get("email"))) from None
    if user is None:
        raise _not_found(user_id)
    return jsonify(user)


def _changes(body: dict[str, Any]) -> dict[str, Any]:
    if not body:
        raise ApiError(400, "nothing to update: send email and/or name")
    changes: dict[str, Any] = {}
    if "email" in body:
        changes["email"] = validation.email(body, required=True)
    if "name" in body:
        changes["name"] = validation.name(body)
    return changes


@bp.delete("/<int:user_id>")
def delete_user(user_id: int) -> tuple[str, int]:
    if not (validation.user_id_exists_in_range(user_id) and users_repo.delete(_db(), user_id)):
        raise _not_found(user_id)
    return "", 204


def _not_found(user_id: int) -> ApiError:
    return ApiError(404, f"no user with id {user_id}")


def _conflict(email: str) -> ApiError:
    return ApiError(409, f"a user with email {email} already exists")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
