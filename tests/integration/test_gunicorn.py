"""The app as it really runs: gunicorn with two gthread workers on real backing services."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from sandbox.errors import ServiceStartError
from sandbox.services import app as app_service
from sandbox.services.process import ServerProcess
from tests.conftest import REPO
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.slow


def start_app(home: Path, pg: ServerProcess, rd: ServerProcess, **extra: str) -> ServerProcess:
    config = app_service.AppServiceConfig(
        home=home, app_dir=REPO, database_url=pg.url, redis_url=rd.url,
        port=free_port(), workers=2, threads=4, extra_env=extra,
    )  # fmt: skip
    return app_service.start(config)


@pytest.fixture
def served(
    tmp_path: Path, postgres_server: ServerProcess, redis_server: ServerProcess, clean_state: None
) -> Iterator[ServerProcess]:
    server = start_app(tmp_path, postgres_server, redis_server)
    yield server
    server.stop()


def call(
    server: ServerProcess, method: str, path: str, body: Any = None, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection (so requests spread over the workers)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        payload = json.dumps(body) if body is not None else None
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def health_requests_counted(server: ServerProcess) -> float:
    _, _, body = call(server, "GET", "/metrics")
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith("http_requests_total{") and 'route="/health"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_ready_through_gunicorn(served: ServerProcess) -> None:
    status, _, body = call(served, "GET", "/ready")
    assert status == 200
    assert json.loads(body)["status"] == "ready"


def test_metrics_add_up_across_worker_processes(served: ServerProcess, tmp_path: Path) -> None:
    baseline = health_requests_counted(served)  # the launcher's own readiness probes

    def workers_counted() -> int:
        return len(list((tmp_path / "app" / "metrics").glob("counter_*.db")))

    # Bursts of concurrent requests until both workers have served some (which worker
    # accepts a connection is the kernel's choice: sequential requests may all land on one).
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        while workers_counted() < 2 and sent < 400:
            answers = list(pool.map(lambda _: call(served, "GET", "/health")[0], range(8)))
            assert answers == [200] * 8
            sent += 8
    assert workers_counted() >= 2, f"only one worker served {sent} concurrent requests"
    # Whichever worker answers /metrics, it reports the sum over all workers.
    assert {health_requests_counted(served) for _ in range(6)} == {baseline + sent}


def test_logs_are_json_lines_with_the_request_id(served: ServerProcess) -> None:
    _, headers, _ = call(served, "GET", "/api/users")
    request_id = headers["X-Request-ID"]

    def logged() -> list[dict[str, Any]]:
        lines = served.log_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    assert wait_for(lambda: any(e.get("request_id") == request_id for e in logged()))
    entry = next(e for e in logged() if e.get("request_id") == request_id)
    assert (entry["method"], entry["route"], entry["status"]) == ("GET", "/api/users", 200)
    assert entry["level"] == "INFO"


def test_sigterm_lets_an_in_flight_request_finish(
    served: ServerProcess, postgres_server: ServerProcess
) -> None:
    status, _, body = call(served, "POST", "/api/users", {"email": "slow@example.org"})
    assert status == 201
    user_id = json.loads(body)["id"]
    blocker = psycopg2.connect(postgres_server.url)
    blocker.cursor().execute("SELECT * FROM users WHERE id = %s FOR UPDATE", (user_id,))
    result: dict[str, Any] = {}

    def slow_update() -> None:  # blocks on the row lock until the blocker commits
        result["status"], _, result["body"] = call(
            served, "PATCH", f"/api/users/{user_id}", {"name": "Finished"}, timeout=30
        )

    worker = threading.Thread(target=slow_update)
    worker.start()
    assert wait_for(lambda: _waiting_on_lock(postgres_server))
    served.popen.terminate()  # SIGTERM to the gunicorn master
    assert wait_for(lambda: _refuses_connections(served), timeout=5)
    blocker.commit()
    blocker.close()
    worker.join(30)

    assert result["status"] == 200
    assert json.loads(result["body"])["name"] == "Finished"
    assert served.popen.wait(30) == 0


def _waiting_on_lock(server: ServerProcess) -> bool:
    conn = psycopg2.connect(server.url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE users%%'"
            )
            row = cur.fetchone()
            return bool(row and row[0])
    finally:
        conn.close()


def _refuses_connections(server: ServerProcess) -> bool:
    try:
        call(server, "GET", "/health", timeout=1)
    except (ConnectionRefusedError, http.client.RemoteDisconnected, TimeoutError):
        return True
    return False


def test_bad_configuration_stops_start_with_a_clear_message(
    tmp_path: Path, postgres_server: ServerProcess, redis_server: ServerProcess
) -> None:
    with pytest.raises(ServiceStartError) as caught:
        start_app(tmp_path, postgres_server, redis_server, CACHE_TTL="soon", LOG_LEVEL="LOUD")
    log = caught.value.log_tail
    assert "CACHE_TTL='soon' must be a whole number" in log
    assert "LOG_LEVEL='LOUD' must be one of" in log
    assert "Traceback" not in log


def test_database_down_at_start_is_one_clear_line(
    tmp_path: Path, postgres_server: ServerProcess, redis_server: ServerProcess
) -> None:
    dead = free_port()
    config = app_service.AppServiceConfig(
        home=tmp_path, app_dir=REPO, port=free_port(), redis_url=redis_server.url,
        database_url=f"postgresql://sandbox:sandbox@127.0.0.1:{dead}/sandbox",
        extra_env={"DATABASE_STARTUP_TIMEOUT": "1"},
    )  # fmt: skip
    with pytest.raises(ServiceStartError) as caught:
        app_service.start(config)
    assert f"database at 127.0.0.1:{dead} did not answer within 1 s" in caught.value.log_tail
    assert "Traceback" not in caught.value.log_tail


def test_database_connections_are_reused(
    served: ServerProcess, postgres_server: ServerProcess
) -> None:
    def app_sessions_opened() -> int:
        conn = psycopg2.connect(postgres_server.url)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = 'cloud-native-app'"
                )
                row = cur.fetchone()
                return int(row[0]) if row else 0
        finally:
            conn.close()

    for i in range(30):
        call(served, "POST", "/api/users", {"email": f"reuse{i}@example.org"})
    # 2 workers x at most 10 pooled connections each; a pool that reconnected per query
    # would leave none open between requests.
    assert 1 <= app_sessions_opened() <= 20
