"""Lab 01's own check kind: SIGTERM lets an in-flight request finish (disposability).

Registered explicitly by `register(registry)`; importing this module does nothing else.
It needs PostgreSQL and Redis: the runner's guard makes it UNKNOWN when they are down.
"""

from __future__ import annotations

import http.client
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2.extensions import connection

from sandbox.errors import SandboxError
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params, Registry
from sandbox.services import app as app_service
from sandbox.services.process import ServerProcess, free_ports


class DrainParams(Params):
    hold_seconds: float = 1.0  # how long the request stays in flight after SIGTERM


def evaluate(params: DrainParams, ctx: CheckContext) -> Outcome:
    db, cache = ctx.endpoints["postgres"], ctx.endpoints["redis"]
    # The row lock's connection first: an unreachable PostgreSQL is then known at once (the
    # runner's guard makes it UNKNOWN), not after the second instance's start timeout.
    lock = psycopg2.connect(db, connect_timeout=5)
    try:
        return _with_second_instance(ctx.workspace, db, cache, lock, params.hold_seconds)
    finally:
        lock.close()


def _with_second_instance(
    workspace: Path, db: str, cache: str, lock: connection, hold: float
) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="drain-check-") as home:
        try:
            server = _start_second_instance(workspace, Path(home), db, cache)
        except SandboxError as err:
            return Outcome.failed(f"your app did not start: {err.render()}")
        try:
            return _drain(server, lock, hold)
        finally:
            server.stop(timeout=10)


def _start_second_instance(workspace: Path, home: Path, db: str, cache: str) -> ServerProcess:
    """Your app under its own gunicorn on a free port, so stopping it spares the stack's."""
    config = app_service.AppServiceConfig(
        home=home, app_dir=workspace, database_url=db, redis_url=cache, port=free_ports()[0]
    )
    return app_service.start(config)


def _drain(server: ServerProcess, lock: connection, hold: float) -> Outcome:
    user = {"email": f"drain-{time.time_ns()}@example.org", "name": "kept"}
    status, body = _call(server, "POST", "/api/users", user)
    if status != 201:
        return Outcome.unknown(f"could not create a user to update (POST answered {status})")
    user_id = json.loads(body)["id"]
    lock.cursor().execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (user_id,))
    answer = _slow_update(server, user_id, user)  # waits on our row lock: a slow request
    time.sleep(0.5)
    server.popen.terminate()  # SIGTERM, as Kubernetes sends before stopping a pod
    time.sleep(hold)
    lock.commit()
    answer["thread"].join(20)
    return _verdict(answer)


def _slow_update(server: ServerProcess, user_id: int, user: dict[str, str]) -> dict[str, Any]:
    answer: dict[str, Any] = {}

    def send() -> None:
        try:
            answer["status"], _ = _call(server, "PUT", f"/api/users/{user_id}", user)
        except OSError as err:
            answer["error"] = str(err) or type(err).__name__

    answer["thread"] = threading.Thread(target=send, daemon=True)
    answer["thread"].start()
    return answer


def _verdict(answer: dict[str, Any]) -> Outcome:
    if answer.get("status") == 200:
        return Outcome.passed("the request in flight at SIGTERM completed with 200")
    observed = answer.get("error") or f"status {answer.get('status')}"
    return Outcome.failed(
        "a request in flight when the app got SIGTERM was cut off "
        f"({observed}); expected it to finish with 200 before the app exits"
    )


def _call(server: ServerProcess, method: str, path: str, body: Any) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.request(method, path, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def register(registry: Registry) -> None:
    registry.add(CheckKind("sigterm_drains", DrainParams, evaluate, needs=("postgres", "redis")))
