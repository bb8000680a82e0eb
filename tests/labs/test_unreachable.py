"""A check whose service cannot be reached is UNKNOWN: it costs no points and is no failure
of the learner's. Every stack-reading kind is graded with its service stopped before grading
began (no endpoint in the context) and while grading (the context still has the endpoint:
a blip), on the real stack; the runner's retries are shown against a real local server."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import psycopg2
import pytest
import redis

from sandbox.aws.deploy import DeployResult
from sandbox.labs import loader, reports
from sandbox.labs import workspace as ws
from sandbox.labs.checks import builtin_registry
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params, Registry, Status
from sandbox.labs.model import CheckSpec, Lab
from sandbox.labs.runner import CheckResult, LabReport, evaluate_once, run_check, run_lab
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.model import State
from tests.helpers import free_port, wait_for

Contexts = tuple[CheckContext, CheckContext]  # (built before the pause, built after it)
STATUS_HINT = "; is the stack up? `sandbox status`"


def context(stack: EmbeddedBackend, workspace: Path, registry: Registry) -> CheckContext:
    status = stack.status()
    endpoints = {n: s.url for n, s in status.services.items() if s.state is State.HEALTHY}
    ctx = CheckContext(workspace, workspace, endpoints, control=stack)
    ctx.nested = lambda spec: evaluate_once(spec, registry, ctx)
    return ctx


@contextmanager
def paused(
    stack: EmbeddedBackend, service: str, workspace: Path, registry: Registry
) -> Iterator[Contexts]:
    """`service` stopped (the supervisor keeps it so), and restored whatever happens."""
    before = context(stack, workspace, registry)
    stack.stop_service(service)
    try:
        yield before, context(stack, workspace, registry)
    finally:
        stack.start_service(service)
        assert wait_for(lambda: stack.status().all_healthy, timeout=60)


def grade(spec: dict[str, Any], ctx: CheckContext, registry: Registry) -> CheckResult:
    check = CheckSpec.model_validate({"id": "paused", "title": "a check", "points": 10, **spec})
    return run_check(check, "step", registry, ctx)


def assert_not_graded(result: CheckResult, service: str) -> None:
    assert (result.status, result.points, result.unreachable) == (Status.UNKNOWN, 0, service)


def lab_of(specs: list[dict[str, Any]]) -> Lab:
    checks = [
        {"id": f"check-{n}", "title": "a check", "points": 10, **spec}
        for n, spec in enumerate(specs)
    ]
    step = {"id": "only", "title": "the step", "instructions": "step.md", "checks": checks}
    return Lab.model_validate({"id": "99-paused", "title": "P", "summary": "s", "steps": [step]})


def assert_counted_as_unknown(report: LabReport) -> None:
    """Not graded: no points, no failure, in every report format."""
    n = len(report.results)
    assert (report.score, report.exit_code, report.count(Status.FAILED)) == (0, 2, 0)
    suite = ET.fromstring(reports.render(report, "junit")).find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors")) == ("0", str(n))
    assert len(suite.findall("testcase/error[@type='unreachable']")) == n
    github = json.loads(reports.render(report, "github"))
    assert (github["status"], {t["status"] for t in github["tests"]}) == ("error", {"error"})
    counts = json.loads(reports.render(report, "json"))["counts"]
    assert (counts["unknown"], counts["unreachable"], counts["failed"]) == (n, n, 0)
    assert f"{n} checks ({10 * n} points) could not run (service unreachable)" in reports.render(
        report, "text"
    )


# -- the runner, with a real server on loopback that comes up late or never ----------------


@contextmanager
def server_from(port: int, delay: float, folder: Path) -> Iterator[None]:
    """A real HTTP server on `port`, listening only after `delay` seconds."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    started: list[http.server.ThreadingHTTPServer] = []

    def listen() -> None:
        started.append(http.server.ThreadingHTTPServer(("127.0.0.1", port), handler))
        started[0].serve_forever(poll_interval=0.05)

    timer = threading.Timer(delay, listen)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        wait_for(lambda: bool(started) or not timer.is_alive(), timeout=5)
        for server in started:
            server.shutdown()
            server.server_close()
        timer.join(5)


def app_at(port: int, tmp_path: Path) -> CheckContext:
    return CheckContext(tmp_path, tmp_path, endpoints={"app": f"http://127.0.0.1:{port}"})


def test_a_service_down_before_grading_is_unknown_at_once_without_retrying(
    tmp_path: Path,
) -> None:
    ctx = CheckContext(tmp_path, tmp_path)  # no endpoints: nothing was healthy
    spec = {"kind": "http", "path": "/", "eventually": {"timeout": 5, "interval": 0.1}}
    result = grade(spec, ctx, builtin_registry())
    assert_not_graded(result, "app")
    assert result.message == "the app is not running; start the stack with `sandbox up`"
    assert (result.attempts, result.duration_s < 1) == (1, True)


def test_a_blip_is_retried_within_eventually_and_the_check_may_still_pass(
    tmp_path: Path,
) -> None:
    port = free_port()
    spec = {"kind": "http", "path": "/", "eventually": {"timeout": 10, "interval": 0.1}}
    with server_from(port, 0.5, tmp_path):
        result = grade(spec, app_at(port, tmp_path), builtin_registry())
    assert (result.status, result.points, result.unreachable) == (Status.PASSED, 10, None)
    assert result.attempts > 1


def test_a_service_that_never_comes_back_ends_unknown_after_the_eventually_window(
    tmp_path: Path,
) -> None:
    port = free_port()
    spec = {"kind": "http", "path": "/", "eventually": {"timeout": 0.5, "interval": 0.1}}
    result = grade(spec, app_at(port, tmp_path), builtin_registry())
    assert_not_graded(result, "app")
    assert result.message == (
        f"could not reach the app at http://127.0.0.1:{port} (connection refused){STATUS_HINT}"
    )
    assert result.attempts > 1


class Both(Params):
    client: str


def connect(params: Both, ctx: CheckContext) -> Outcome:
    if params.client == "postgres":
        psycopg2.connect(ctx.endpoints["postgres"], connect_timeout=2).close()
    else:
        with redis.Redis.from_url(ctx.endpoints["redis"], socket_connect_timeout=2) as client:
            client.ping()
    return Outcome.passed()


@pytest.mark.parametrize(
    ("client", "called", "scheme"),
    [("postgres", "PostgreSQL", "postgresql"), ("redis", "Redis", "redis")],
)
def test_a_kind_needing_two_services_blames_the_one_whose_client_failed(
    tmp_path: Path, client: str, called: str, scheme: str
) -> None:
    registry = builtin_registry()
    registry.add(CheckKind("both", Both, connect, needs=("postgres", "redis")))
    port = free_port()
    endpoints = {
        "postgres": f"postgresql://sandbox:secret@127.0.0.1:{port}/sandbox",
        "redis": f"redis://127.0.0.1:{port}/0",
    }
    ctx = CheckContext(tmp_path, tmp_path, endpoints)
    result = grade({"kind": "both", "client": client}, ctx, registry)
    assert_not_graded(result, client)
    assert result.message == (
        f"could not reach {called} at {scheme}://127.0.0.1:{port} (connection refused)"
        + STATUS_HINT
    )


# -- every stack-reading kind, its service stopped -------------------------------------------

AWS_CHECKS = [
    pytest.param({"kind": "dynamodb_item", "key": {"event_id": "x"}}, id="dynamodb_item"),
    pytest.param({"kind": "s3_object", "bucket": "sandbox-uploads", "key": "a"}, id="s3_object"),
    pytest.param({"kind": "sqs_depth", "queue": "sandbox-jobs"}, id="sqs_depth"),
    pytest.param({"kind": "event", "source": "sns"}, id="event"),
    pytest.param({"kind": "sqs_poison_batch"}, id="lab03-sqs_poison_batch"),
    pytest.param({"kind": "duplicate_delivery"}, id="lab03-duplicate_delivery"),
    pytest.param({"kind": "s3_key_roundtrip"}, id="lab03-s3_key_roundtrip"),
]
APP_CHECKS = [
    pytest.param({"kind": "http", "path": "/health"}, id="http"),
    pytest.param({"kind": "metric", "name": "http_requests_total"}, id="metric"),
]
LAB03 = loader.load("03-serverless")[1]
LAB01 = loader.load("01-twelve-factor")[1]


@pytest.mark.slow
class TestWithTheEmulatorStopped:
    @pytest.fixture(scope="class")
    def contexts(
        self,
        running_stack: EmbeddedBackend,
        deployed: DeployResult,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Iterator[Contexts]:
        with paused(running_stack, "aws", tmp_path_factory.mktemp("ws"), LAB03) as both:
            yield both

    @pytest.mark.parametrize("spec", AWS_CHECKS)
    def test_a_check_is_unknown_when_the_emulator_was_down_before_grading(
        self, contexts: Contexts, spec: dict[str, Any]
    ) -> None:
        result = grade(spec, contexts[1], LAB03)
        assert_not_graded(result, "aws")
        assert (
            result.message == "the AWS emulator is not running; start the stack with `sandbox up`"
        )

    @pytest.mark.parametrize("spec", AWS_CHECKS)
    def test_a_check_is_unknown_when_the_emulator_stops_answering_while_grading(
        self, contexts: Contexts, spec: dict[str, Any], aws_endpoint: str
    ) -> None:
        result = grade(spec, contexts[0], LAB03)
        assert_not_graded(result, "aws")
        assert result.message.startswith(f"could not reach the AWS emulator at {aws_endpoint} (")
        assert result.message.endswith(STATUS_HINT)

    def test_the_report_counts_them_as_unknown_not_as_failures(self, contexts: Contexts) -> None:
        lab = lab_of([{"kind": "sqs_depth", "queue": "q"}, {"kind": "event", "source": "s3"}])
        assert_counted_as_unknown(run_lab(lab, LAB03, contexts[1]))


@pytest.mark.slow
class TestWithTheAppStopped:
    @pytest.fixture(scope="class")
    def contexts(
        self, running_stack: EmbeddedBackend, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Contexts]:
        registry = builtin_registry()
        with paused(running_stack, "app", tmp_path_factory.mktemp("ws"), registry) as both:
            yield both

    @pytest.mark.parametrize("spec", APP_CHECKS)
    def test_a_check_is_unknown_when_the_app_was_down_before_grading(
        self, contexts: Contexts, spec: dict[str, Any]
    ) -> None:
        result = grade(spec, contexts[1], builtin_registry())
        assert_not_graded(result, "app")
        assert result.message == "the app is not running; start the stack with `sandbox up`"

    @pytest.mark.parametrize("spec", APP_CHECKS)
    def test_a_check_is_unknown_when_the_app_stops_answering_while_grading(
        self, contexts: Contexts, spec: dict[str, Any]
    ) -> None:
        result = grade(spec, contexts[0], builtin_registry())
        assert_not_graded(result, "app")
        assert result.message == (
            f"could not reach the app at {contexts[0].endpoints['app']} (connection refused)"
            + STATUS_HINT
        )

    def test_the_report_counts_them_as_unknown_not_as_failures(self, contexts: Contexts) -> None:
        lab = lab_of([{"kind": "http", "path": "/ready"}, {"kind": "metric", "name": "up"}])
        assert_counted_as_unknown(run_lab(lab, builtin_registry(), contexts[0]))
        assert_counted_as_unknown(run_lab(lab, builtin_registry(), contexts[1]))


@pytest.mark.slow
class TestWithPostgresStopped:
    @pytest.fixture(scope="class")
    def contexts(
        self, running_stack: EmbeddedBackend, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Contexts]:
        workspace = tmp_path_factory.mktemp("ws")
        ws.copy_tree(loader.labs_root() / "01-twelve-factor" / "solution", workspace, force=True)
        with paused(running_stack, "postgres", workspace, LAB01) as both:
            yield both

    def test_the_lab_01_drain_check_is_unknown_when_postgres_was_down_before_grading(
        self, contexts: Contexts
    ) -> None:
        result = grade({"kind": "sigterm_drains"}, contexts[1], LAB01)
        assert_not_graded(result, "postgres")
        assert result.message == "PostgreSQL is not running; start the stack with `sandbox up`"

    def test_the_lab_01_drain_check_is_unknown_when_postgres_stops_answering_while_grading(
        self, contexts: Contexts
    ) -> None:
        result = grade({"kind": "sigterm_drains"}, contexts[0], LAB01)
        assert_not_graded(result, "postgres")
        port = urlsplit(contexts[0].endpoints["postgres"]).port
        assert result.message == (
            f"could not reach PostgreSQL at postgresql://127.0.0.1:{port} (connection refused)"
            + STATUS_HINT
        )

    def test_a_fault_check_is_unknown_when_the_service_it_stops_was_down_before_grading(
        self, contexts: Contexts
    ) -> None:
        spec = {"kind": "fault", "stop": "postgres", "check": {"kind": "http", "path": "/ready"}}
        result = grade(spec, contexts[1], LAB01)
        assert_not_graded(result, "postgres")
        assert result.message == "PostgreSQL is not running; start the stack with `sandbox up`"

    def test_the_report_counts_them_as_unknown_not_as_failures(self, contexts: Contexts) -> None:
        lab = lab_of([{"kind": "sigterm_drains"}, {"kind": "sigterm_drains"}])
        assert_counted_as_unknown(run_lab(lab, LAB01, contexts[1]))
