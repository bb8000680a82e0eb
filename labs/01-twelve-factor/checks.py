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
from pydantic import Field

from sandbox.errors import SandboxError
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params, Registry
from sandbox.services import app as app_service
from sandbox.services import pids
from sandbox.services.process import ServerProcess, free_ports


class DrainParams(Params):
    # How long the request stays in flight after SIGTERM: a graceful_timeout shorter than
    # this cuts it off. (gunicorn's default is 30 s; the starter's 0 kills it at once.)
    hold_seconds: float = Field(0.5, gt=0, le=10)


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
    """Why a second instance: SIGTERM goes to gunicorn's master, as Kubernetes sends it, and
    the master then exits. Sending it to the stack's own master would cost a restart of the
    stack's app (slower than this, and every other check would have to wait for it); sending
    it to one of its workers proves nothing, since an exiting gunicorn worker finishes its
    requests whatever graceful_timeout says (it joins its threads at exit)."""
    with tempfile.TemporaryDirectory(prefix="drain-check-") as home:
        try:
            server = _start_second_instance(workspace, Path(home), db, cache)
        except SandboxError as err:
            return Outcome.failed(f"your app did not start: {err.render()}")
        try:
            return _drain(server, lock, hold)
        finally:
            _discard(server)


def _discard(server: ServerProcess) -> None:
    """Once the answer is in, the rest of the instance's exit (the interpreters' teardown,
    about a second) is not graded: end its whole process group now."""
    pids.end_group(server.popen.pid)
    server.popen.wait(timeout=10)


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
    if not _blocked_on(lock, answer):
        lock.rollback()
        answer["thread"].join(20)
        return Outcome.unknown(
            "the update never waited on the row lock, so nothing was in "
            f"flight to drain ({answer.get('status') or answer.get('error')})"
        )
    server.popen.terminate()  # SIGTERM, as Kubernetes sends before stopping a pod
    _wait_for_exit(server, hold)  # a master that does not drain exits at once
    lock.commit()
    answer["thread"].join(20)
    return _verdict(answer)


def _blocked_on(lock: connection, answer: dict[str, Any], timeout: float = 5.0) -> bool:
    """True once a session waits on the lock held by `lock` (the app's UPDATE is in flight)."""
    deadline = time.monotonic() + timeout
    # pg_locks is read live (pg_stat_activity would be a snapshot held for the transaction)
    query = ("SELECT count(*) FROM pg_locks "
             "WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))")  # fmt: skip
    while time.monotonic() < deadline and answer["thread"].is_alive():
        with lock.cursor() as cursor:
            cursor.execute(query)
            row = cursor.fetchone()
        if row is not None and row[0] > 0:
            return True
        time.sleep(0.01)
    return False


def _wait_for_exit(server: ServerProcess, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.popen.poll() is None:
        time.sleep(0.02)


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
        # Connection: close, or the draining worker keeps the answered connection open
        # for gunicorn's keep-alive linger (2 s) before it exits.
        headers = {"Content-Type": "application/json", "Connection": "close"}
        conn.request(method, path, json.dumps(body), headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def register(registry: Registry) -> None:
    registry.add(CheckKind("sigterm_drains", DrainParams, evaluate, needs=("postgres", "redis")))
