"""The OpenAPI 3.0 document served at /openapi.json (the fuzz tests run from it)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

bp = Blueprint("openapi", __name__)

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_UNAVAILABLE = {"$ref": "#/components/responses/Unavailable"}
_ID_PARAM = {
    "name": "user_id", "in": "path", "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
}  # fmt: skip


def _body(schema: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"required": True, "content": {"application/json": {"schema": ref}}}


def _update(summary: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "requestBody": _body("UserChanges"),
        "responses": {**_ok("User"), **_errors(400, 404, 409, 413, 503)},
    }


def _ok(schema: str, status: str = "200") -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {status: {"description": "OK", "content": {"application/json": {"schema": ref}}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _UNAVAILABLE if code == 503 else _PROBLEM for code in codes}


def document(version: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "cloud-native-app users API", "version": version},
        "paths": {
            "/api/users": {
                "get": {
                    "summary": "List users, newest first",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 100,
                                "default": 20,
                            },
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 0,
                                "maximum": 1000000,
                                "default": 0,
                            },
                        },
                    ],
                    "responses": {**_ok("UserPage"), **_errors(400, 503)},
                },
                "post": {
                    "summary": "Create a user",
                    "requestBody": _body("UserInput"),
                    "responses": {**_ok("User", "201"), **_errors(400, 409, 413, 503)},
                },
            },
            "/api/users/{user_id}": {
                "parameters": [_ID_PARAM],
                "get": {"summary": "Get a user", "responses": {**_ok("User"), **_errors(404, 503)}},
                "put": _update("Update the fields sent, email and/or name (as the course's app)"),
                "patch": _update("Update the fields sent, email and/or name (same as PUT)"),
                "delete": {
                    "summary": "Delete a user",
                    "responses": {"204": {"description": "Deleted"}, **_errors(404, 503)},
                },
            },
        },
        "components": {"schemas": _schemas(), "responses": _responses()},
    }


def _schemas() -> dict[str, Any]:
    email = {"type": "string", "format": "email", "maxLength": 254}
    # No NUL characters: PostgreSQL text cannot store them.
    name = {"type": "string", "maxLength": 200, "nullable": True, "pattern": "^[^\\u0000]*$"}
    stamp = {"type": "string", "format": "date-time"}
    return {
        "UserInput": {
            "type": "object", "additionalProperties": False, "required": ["email"],
            "properties": {"email": email, "name": name},
        },
        "UserChanges": {
            "type": "object", "additionalProperties": False, "minProperties": 1,
            "properties": {"email": email, "name": name},
        },
        "User": {
            "type": "object",
            "required": ["id", "email", "name", "created_at", "updated_at"],
            "properties": {
                "id": {"type": "integer"}, "email": {"type": "string"}, "name": name,
                "created_at": stamp, "updated_at": stamp,
            },
        },
        "UserPage": {
            "type": "object", "required": ["items", "limit", "offset", "total"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/User"}},
                "limit": {"type": "integer"}, "offset": {"type": "integer"},
                "total": {"type": "integer"},
            },
        },
        "Problem": {
            "type": "object", "required": ["title", "status", "detail"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
            },
        },
    }  # fmt: skip


def _responses() -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Problem"}
    content = {"application/problem+json": {"schema": schema}}
    retry_after = {
        "description": "Seconds to wait before retrying",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    return {
        "Problem": {"description": "Error", "content": content},
        "Unavailable": {
            "description": "The database is unavailable, or the connection to it was lost"
            " during a write (whose outcome is then unknown)",
            "headers": {"Retry-After": retry_after},
            "content": content,
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document(current_app.config["APP"].app_version))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
