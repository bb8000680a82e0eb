"""A FAKE data source with fixed answers, for the snapshot tests (and quick pilot tests).

Nothing here touches a server: every answer is a constant, and the clock stands still, so a
screenshot of any screen is the same on every run. It implements sandbox.tui.source.DataSource.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sandbox.aws.deploy import DeployResult, Resource
from sandbox.aws.events import EventTimeout, FireResult
from sandbox.aws.inventory import Deployment
from sandbox.labs.checks.base import Status
from sandbox.labs.engine import Began, LabStart
from sandbox.labs.lifecycle import Switch
from sandbox.labs.runner import CheckResult, LabReport
from sandbox.stack.model import LastExit, ServiceStatus, StackStatus, State
from sandbox.tui.metrics import MetricsView
from sandbox.tui.models import CheckRow, HintView, LabDetail, LabRow, QueueRow, SnapshotRow

NOW = 1767268800.0  # 2026-01-01 12:00:00 UTC
LAB = "01-twelve-factor"


class FakeSource:
    """Fixed answers; `delay` makes start/deploy/fire/grade block that long (a busy worker)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self._backend = "embedded"
        self.running = True
        self.running_lab: str | None = LAB  # the lab whose workspace code the stack runs
        self.active_faults = ["redis: latency_downstream jitter=50 latency=200"]
        self.calls: list[str] = []
        self.released = threading.Event()
        self.stamp = "workspace as started"  # what workspace_stamp answers: change it to edit
        self.passing: set[str] = set()  # checks that pass whatever check_result says
        self.other_grading = ""  # set: grade first says it waits for another grading

    def _work(self, name: str) -> None:
        self.calls.append(name)
        if self.delay:
            self.released.wait(self.delay)

    # -- stack ----------------------------------------------------------------------------

    @property
    def backend_name(self) -> str:
        return self._backend

    def use_backend(self, name: str) -> None:
        self._backend = name

    def now(self) -> float:
        return NOW

    def status(self) -> StackStatus:
        return fake_status(self._backend, self.running)

    def start(self, progress: Callable[[StackStatus], None]) -> StackStatus:
        self._work("start")
        self.running = True
        return self.status()

    def stop(self) -> StackStatus:
        self._work("stop")
        self.running = False
        return self.status()

    def start_service(self, name: str) -> None:
        self._work(f"start {name}")

    def stop_service(self, name: str) -> None:
        self._work(f"stop {name}")

    def restart_service(self, name: str) -> None:
        self._work(f"restart {name}")

    def log_tail(self, service: str, lines: int) -> list[str]:
        return LOG_LINES[service][-lines:]

    def follow_logs(self, service: str, stop: Callable[[], bool]) -> Iterator[str]:
        while not stop():
            self.released.wait(0.05)
        return iter(())

    # -- serverless -----------------------------------------------------------------------

    def lambda_fingerprint(self) -> str:
        return "fixed"

    def deployment(self) -> Deployment:
        return FOUND  # a read, not an action: not in `calls`

    def deploy(self) -> DeployResult:
        self._work("deploy")
        return DEPLOYED

    def fire(self, source: str, data: dict[str, Any]) -> FireResult:
        self._work(f"fire {source}")
        if source == "sqs":
            raise EventTimeout(
                "no item for the sqs event 5ca1ab1e within 10 s: the function was invoked and "
                "failed:\nKeyError: 'order_id'",
                "fix the processor, then `sandbox deploy`",
            )
        return fire_result(source)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        self._work("invoke")
        return {
            "status_code": 200,
            "function_error": None,
            "result": {"processed": 1},
            "log": ["START RequestId: 1", '{"level": "INFO", "message": "stored"}'],
        }

    def sample_event(self, source: str) -> dict[str, Any]:
        return {"Records": [{"eventSource": f"aws:{source}", "fixed": True}]}

    # -- data -----------------------------------------------------------------------------

    def tables(self) -> list[str]:
        return ["sandbox-events", "sandbox-orders"]

    def items(self, table: str) -> list[dict[str, Any]]:
        return ITEMS if table == "sandbox-events" else []

    def buckets(self) -> list[str]:
        return ["sandbox-uploads"]

    def objects(self, bucket: str) -> list[dict[str, Any]]:
        return [
            {"key": "fired/0001.json", "size": 47, "modified": "2026-01-01 11:58:00+00:00"},
            {"key": "incoming/report.csv", "size": 1024, "modified": "2026-01-01 11:59:00+00:00"},
        ]

    def queues(self) -> list[QueueRow]:
        return [
            QueueRow("sandbox-jobs", 3, 1, False, 2),
            QueueRow("sandbox-jobs-dlq", 2, 0, True, None),
        ]

    # -- metrics --------------------------------------------------------------------------

    def metrics(self) -> MetricsView:
        return METRICS

    # -- labs -----------------------------------------------------------------------------

    def labs(self) -> list[LabRow]:
        return [
            LabRow(LAB, "The twelve-factor app", 35, 100, 3, 11, True, self.running_lab == LAB),
            LabRow("03-serverless", "Serverless events", 0, 60, 0, 6, False),
        ]

    def lab_detail(self, lab_id: str) -> LabDetail:
        return LabDetail(
            lab_id,
            "The twelve-factor app",
            MARKDOWN,
            CHECKS,
            {"ready": ("Add a GET /ready route that runs SELECT 1 and a PING.",)},
        )

    def grade(
        self,
        lab_id: str,
        step: str | None,
        listener: Callable[[str, CheckResult | None], None],
        on_wait: Callable[[str], None],
    ) -> LabReport:
        if self.other_grading:
            on_wait(self.other_grading)
        self._work("grade")
        report = LabReport(lab_id, "The twelve-factor app")
        for check in CHECKS:
            if step in (None, check.step):
                listener(check.id, None)
                result = check_result(check, check.id in self.passing)
                report.results.append(result)
                listener(check.id, result)
        return report

    def hint(self, lab_id: str, check_id: str | None) -> HintView | None:
        return HintView(check_id or "health", 1, "The starter already has /health.", 0, 0)

    def start_lab(self, lab_id: str) -> LabStart:
        return LabStart(lab_id, Path("workspace/01-twelve-factor"), Began.FRESH, 12)

    def faults(self) -> list[str]:
        return list(self.active_faults)

    def clear_faults(self) -> str:
        self.calls.append("clear faults")
        cleared, self.active_faults = len(self.active_faults), []
        return f"cleared {cleared} fault(s)"

    def stop_lab(self) -> Switch:
        self.calls.append("stop lab")
        self.running_lab = None
        return Switch([LAB])

    def reset_lab(self, lab_id: str) -> None:
        self.calls.append(f"reset {lab_id}")

    def workspace_stamp(self, lab_id: str) -> str:
        return self.stamp

    def undo_lab(self, lab_id: str) -> str:
        self.calls.append(f"undo {lab_id}")
        return f"{lab_id}: the data is back as at the start of step health"

    def snapshots(self) -> list[SnapshotRow]:
        made = "sandbox 0.1.0, ministack 1.5.33"
        return [
            SnapshotRow("step-01-twelve-factor-health", 1_780_000_000.0, 84_211, "step", made),
            SnapshotRow("clean-start", 1_780_003_600.0, 91_502, "user", made),
        ]


def fake_status(backend: str, running: bool) -> StackStatus:
    ports = {"aws": 4566, "postgres": 15432, "redis": 16379, "app": 8080}
    urls = {
        "aws": "http://127.0.0.1:4566",
        "redis": "redis://127.0.0.1:16379/0",
        "postgres": "postgresql://sandbox:sandbox@127.0.0.1:15432/sandbox",
        "app": "http://127.0.0.1:8080",
    }
    services = {}
    for index, name in enumerate(ports):
        state = State.HEALTHY if running else State.STOPPED
        services[name] = ServiceStatus(
            name,
            state,
            ports[name],
            urls[name],
            pid=4100 + index if running else None,
            started_at=NOW - 754 + index * 3,
            restarts=1 if name == "redis" else 0,
        )
    services["redis"].last_exit = LastExit(-9, NOW - 760, "")
    return StackStatus(
        backend, services, supervisor_pid=4099 if running else None, home="/home/learner/.sandbox"
    )


LOG_LINES = {
    name: [
        '{"timestamp": "2026-01-01T11:59:58.100+00:00", "level": "INFO", "message": '
        '"GET /health 200", "route": "/health", "status": 200}',
        '{"timestamp": "2026-01-01T11:59:58.200+00:00", "level": "INFO", "message": '
        '"GET /api/users 200", "route": "/api/users", "status": 200}',
        '{"timestamp": "2026-01-01T11:59:59.000+00:00", "level": "WARNING", "message": '
        '"slow query: 412 ms", "route": "/api/users"}',
        '{"timestamp": "2026-01-01T11:59:59.500+00:00", "level": "ERROR", "message": '
        '"GET /ready 503", "route": "/ready", "status": 503}',
        "[2026-01-01 11:59:59 +0000] [4103] [INFO] Booting worker with pid: 4110",
    ]
    for name in ("aws", "postgres", "redis", "app", "supervisor")
}

DEPLOYED = DeployResult(
    resources=[
        Resource("dynamodb-table", "sandbox-events", "unchanged"),
        Resource("dynamodb-table", "sandbox-orders", "unchanged"),
        Resource("sns-topic", "sandbox-notifications", "unchanged"),
        Resource("lambda-function", "sandbox-events-processor", "updated", "3f2a9c1d"),
        Resource("s3-bucket", "sandbox-uploads", "unchanged", "notifies the function"),
        Resource("sqs-queue", "sandbox-jobs-dlq", "unchanged"),
        Resource("sqs-queue", "sandbox-jobs", "unchanged"),
        Resource("rest-api", "sandbox-events-api", "created", "/events"),
    ],
    stage_url="http://127.0.0.1:4566/restapis/abc123/dev/_user_request_",
    code_sha256="3f2a9c1d",
)


FOUND = Deployment(
    Resource("function", "sandbox-events-processor", "found", "python3.12, code 3f2a9c1d0b7e"),
    (
        Resource("s3 trigger", "sandbox-uploads", "found", "s3:ObjectCreated:*"),
        Resource("sqs trigger", "sandbox-jobs", "found", "Enabled"),
        Resource("api trigger", "sandbox-events-api", "found", "POST /events"),
    ),
    stage_url="http://127.0.0.1:4566/restapis/abc123/dev/_user_request_",
)


def fire_result(source: str) -> FireResult:
    item = {
        "event_id": "e7d1c0de",
        "event_type": "s3:ObjectCreated:Put",
        "source": f"aws:{source}",
        "timestamp": "2026-01-01T12:00:00.031Z",
        "processed": True,
    }
    logs = [
        "START RequestId: 6592d6a4 Version: $LATEST",
        '{"level": "INFO", "message": "received", "kind": "' + source + '"}',
        '{"level": "INFO", "message": "stored", "event_id": "e7d1c0de"}',
        "END RequestId: 6592d6a4",
    ]
    return FireResult(
        source,
        "f1e2d3c4",
        {"action": f"{source} send", "target": "sandbox"},
        item,
        logs,
        31.4,
        {"invoked": 18.2, "item_visible": 31.4},
    )


ITEMS = [
    {
        "event_id": "e7d1c0de",
        "event_type": "s3:ObjectCreated:Put",
        "source": "aws:s3",
        "timestamp": "2026-01-01T11:59:00.031Z",
        "processed": True,
    },
    {
        "event_id": "a11ce5ed",
        "event_type": "order.created",
        "source": "aws:sqs",
        "timestamp": "2026-01-01T11:58:00.112Z",
        "processed": True,
    },
    {
        "event_id": "b0b0cafe",
        "event_type": "user.signed_up",
        "source": "aws:sns",
        "timestamp": "2026-01-01T11:57:00.500Z",
        "processed": True,
    },
]

METRICS = MetricsView(
    ok=True,
    rate=12.5,
    latency_ms=4.2,
    p95_ms=10.0,
    error_rate=0.2,
    hit_ratio=0.83,
    history={
        "rate": (2, 4, 8, 12, 10, 14, 12.5, 9, 11, 13, 12, 12.5),
        "latency": (3, 5, 4, 6, 4, 4.5, 4.2, 3.9, 4, 5, 4.4, 4.2),
        "errors": (0, 0, 0, 1, 0, 0, 0.5, 0, 0, 0.2, 0, 0.2),
        "hit_ratio": (0.5, 0.6, 0.7, 0.75, 0.8, 0.8, 0.82, 0.83, 0.83, 0.83, 0.83, 0.83),
    },
    routes=(
        (("GET", "/api/users", "200"), 1204.0),
        (("POST", "/api/users", "201"), 311.0),
        (("GET", "/health", "200"), 120.0),
        (("POST", "/api/users", "409"), 7.0),
        (("GET", "/ready", "503"), 2.0),
    ),
)

CHECKS = (
    CheckRow("health", "/health answers 200", "probes", "Health and readiness", 5, 1),
    CheckRow(
        "ready", "/ready checks the database and the cache", "probes", "Health and readiness", 15, 2
    ),
    CheckRow("config-from-env", "/health reports ENVIRONMENT", "config", "Configuration", 10, 2),
    CheckRow("duplicate-email-409", "A duplicate email is 409", "api", "Errors", 10, 2),
)

MARKDOWN = """# The twelve-factor app

Turn a users API that "works on my laptop" into a twelve-factor service.
**100 points**

## Step 1: Health and readiness

An orchestrator asks two questions: *is it alive?* (`/health`) and *can it serve?* (`/ready`).

- `GET /health` answers 200 while the process runs.
- `GET /ready` checks PostgreSQL and Redis and answers **503** when one is down.

## Step 2: Configuration

Read `ENVIRONMENT` and `APP_VERSION` from the environment, once, at start.
"""


def check_result(check: CheckRow, passing: bool = False) -> CheckResult:
    status, message = (
        (Status.PASSED, "fixed")
        if passing
        else {
            "health": (Status.PASSED, "GET /health -> 200"),
            "ready": (Status.FAILED, "GET /ready -> 404, expected 200"),
            "config-from-env": (Status.UNKNOWN, "the app is not running"),
        }.get(check.id, (Status.PASSED, "POST /api/users -> 409"))
    )
    points = check.points if status is Status.PASSED else 0
    return CheckResult(
        check.id, check.title, check.step, status, message, points, check.points, 0.01, 1
    )
