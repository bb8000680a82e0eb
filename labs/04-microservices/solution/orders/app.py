"""The orders service: POST /orders takes {user_id, item}, looks the user up in the users
service, and stores the order in DynamoDB; GET /orders/<order_id> reads it back.

    POST /orders        201 the order | 200 the order already made for this Idempotency-Key
                        | 400 bad body | 422 unknown user | 503 users unavailable
    GET  /orders/<id>   200 the order | 404
    GET  /health        200 {"status": "ok"}

Run by the sandbox as a lab service (gunicorn, one process, several threads: one circuit
breaker for the whole service); its configuration comes from the environment.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import store
import users_client
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

IDEMPOTENCY_HEADER = "Idempotency-Key"


def problem(status: int, title: str, detail: str, **headers: str) -> ResponseReturnValue:
    """An error as application/problem+json (RFC 9457)."""
    body = jsonify(type="about:blank", title=title, status=status, detail=detail)
    body.mimetype = "application/problem+json"
    return body, status, headers


def order_request() -> tuple[int, str] | None:
    """(user_id, item) from the JSON body, or None when it is not what we expect."""
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    user_id, item = body.get("user_id"), body.get("item")
    if not isinstance(user_id, int) or not isinstance(item, str) or not item:
        return None
    return user_id, item


def order_id_for(key: str | None) -> str:
    """The same Idempotency-Key always names the same order; no key, a new order."""
    if not key:
        return uuid.uuid4().hex
    return hashlib.sha256(f"{IDEMPOTENCY_HEADER}:{key}".encode()).hexdigest()[:32]


def create_app() -> Flask:
    app = Flask(__name__)
    store.ensure_table()

    @app.errorhandler(users_client.UsersUnavailable)
    def users_unavailable(err: users_client.UsersUnavailable) -> ResponseReturnValue:
        return problem(503, "Users service unavailable", str(err), **{"Retry-After": "1"})

    @app.get("/health")
    def health() -> ResponseReturnValue:
        return {"status": "ok"}

    @app.post("/orders")
    def create_order() -> ResponseReturnValue:
        wanted = order_request()
        if wanted is None:
            return problem(400, "Bad order", 'send {"user_id": <int>, "item": "<text>"}')
        key = request.headers.get(IDEMPOTENCY_HEADER)
        order_id = order_id_for(key)
        existing = store.get_order(order_id) if key else None
        if existing is not None:  # a retry of a request we already served: same answer
            return existing, 200
        user_id, item = wanted
        user = users_client.fetch_user(user_id)
        if user is None:
            return problem(422, "Unknown user", f"the users service has no user {user_id}")
        order = {
            "order_id": order_id,
            "user_id": user_id,
            "user_name": user["name"],
            "item": item,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if not store.save_order(order):  # the same key, sent twice at once: the first won
            return store.get_order(order_id) or order, 200
        return order, 201

    @app.get("/orders/<order_id>")
    def get_order(order_id: str) -> ResponseReturnValue:
        order = store.get_order(order_id)
        if order is None:
            return problem(404, "No such order", f"no order {order_id}")
        return order

    return app


app = create_app()
