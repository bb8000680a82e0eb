"""Lab 04 on a real embedded stack with the lab's own services (users behind its proxy,
orders from the starter or the solution, both registered in Cloud Map): the solution
passes every check, the starter fails every check that must fail, and grading leaves no
fault behind (no toxic, no disabled or extra proxy, no chaos rule, Cloud Map as before)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.faults.client import FaultsClient
from sandbox.labs import loader, session
from sandbox.labs import services as lab_services
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import Registry, Status
from sandbox.labs.model import Lab
from sandbox.labs.runner import LabReport, run_lab
from sandbox.labs.session import context, prepare
from sandbox.services.chaos.client import ChaosClient
from sandbox.stack import labservices
from sandbox.stack.embedded import EmbeddedBackend
from tests.labs import lab04_rig as rig

pytestmark = pytest.mark.slow
LAB_ID = "04-microservices"


@dataclass
class Graded:
    lab: Lab
    report: LabReport
    backend: EmbeddedBackend
    before: dict[str, object]  # what the faults and Cloud Map looked like before grading
    workspace: Path


def stack_env(lab: Lab, home: Path) -> dict[str, str]:
    """Free ports for every stack service, lab service and lab proxy."""
    return {"SANDBOX_HOME": str(home), **lab_services.free_port_variables(lab)}


def snapshot(backend: EmbeddedBackend) -> dict[str, object]:
    proxies = FaultsClient(backend.endpoint("faults")).proxies()
    found = rig.cloudmap(backend.endpoint("aws")).discover_instances(
        NamespaceName="sandbox", ServiceName="users", HealthStatus="HEALTHY"
    )["Instances"]
    return {
        "proxies": {n: (p["enabled"], p["listen"], p["toxics"]) for n, p in proxies.items()},
        "chaos": ChaosClient(backend.endpoint("aws")).faults(),
        "users in cloud map": sorted(
            (i["InstanceId"], i["Attributes"]["AWS_INSTANCE_PORT"]) for i in found
        ),
    }


def grade(variant: str, tmp: Path) -> Iterator[Graded]:
    lab, registry = loader.load(LAB_ID)
    workspace = tmp / "workspace" / lab.id
    ws.copy_tree(lab.folder / variant, workspace, force=True)
    env = stack_env(lab, tmp / "home")
    settings = Settings.from_env(env)
    labservices.replace_lab(settings.home, lab.id, lab_services.resolve(lab, workspace,
                                                                        settings, env))  # fmt: skip
    backend = EmbeddedBackend(settings)
    try:
        backend.start()
        yield graded(lab, registry, backend, workspace, settings)
    finally:
        backend.reset()


def graded(lab: Lab, registry: Registry, backend: EmbeddedBackend, workspace: Path,
           settings: Settings) -> Graded:  # fmt: skip
    ctx = context(lab, backend, workspace, settings)
    prepare(lab, backend, settings, ctx)
    before = snapshot(backend)
    return Graded(lab, run_lab(lab, registry, ctx), backend, before, workspace)


@pytest.fixture(scope="module")
def solution(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graded]:
    yield from grade("solution", tmp_path_factory.mktemp("lab04-solution"))


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graded]:
    yield from grade("starter", tmp_path_factory.mktemp("lab04-starter"))


def statuses(report: LabReport) -> dict[str, Status]:
    return {r.id: r.status for r in report.results}


def test_the_solution_passes_every_check_for_full_points(solution: Graded) -> None:
    problems = {r.id: r.message for r in solution.report.results if r.status is not Status.PASSED}
    assert problems == {}
    assert solution.report.score == solution.report.max_score == 100


def test_the_starter_fails_every_check_that_must_fail_and_passes_the_others(
    starter: Graded,
) -> None:
    must_fail = {c.id for _, c in starter.lab.checks() if c.must_fail_on_starter}
    expected = {c.id: Status.FAILED if c.id in must_fail else Status.PASSED
                for _, c in starter.lab.checks()}  # fmt: skip
    assert statuses(starter.report) == expected
    assert must_fail == set(expected) - {"order-created", "breaker-closes"}


def test_the_starter_is_told_what_went_wrong(starter: Graded) -> None:
    messages = {r.id: r.message for r in starter.report.results}
    assert messages["timeout-slow-users"].endswith("POST /orders: no answer within 1000 ms")
    assert "two orders were made" in messages["idempotency-key"]
    assert "succeeded (0%, at least 100% needed)" in messages["breaker-opens"]
    assert "(proxy users: connections_total +5)" in messages["breaker-opens"]


@pytest.mark.parametrize("variant", ["solution", "starter"])
def test_grading_leaves_no_fault_behind(variant: str, request: pytest.FixtureRequest) -> None:
    graded: Graded = request.getfixturevalue(variant)
    assert snapshot(graded.backend) == graded.before


def test_the_solution_grades_again_the_same(solution: Graded) -> None:
    """Nothing a first grading did (a tripped breaker, orders in the table, moved
    instances) changes the next one."""
    ctx = context(solution.lab, solution.backend, solution.lab.folder, solution.backend.settings)
    again = run_lab(solution.lab, loader.load(LAB_ID)[1], ctx)
    assert {r.id for r in again.results if r.status is not Status.PASSED} == set()


def test_two_gradings_at_once_take_turns_and_both_give_full_points(solution: Graded) -> None:
    """A `--watch` grader and the TUI, say: at once, each would send its orders into the
    other's faults (2 or 3 of these checks failed each time, before the grading lock)."""
    registry = loader.load(LAB_ID)[1]
    heard: list[str] = []
    reports: list[LabReport] = []

    def grade_now() -> None:
        settings = solution.backend.settings
        report = session.grade(solution.lab, registry, settings, workspace=solution.workspace,
                               on_wait=heard.append)  # fmt: skip
        reports.append(report)

    graders = [threading.Thread(target=grade_now) for _ in range(2)]
    for grader in graders:
        grader.start()
    for grader in graders:
        grader.join(timeout=120)
    assert [report.score for report in reports] == [100, 100]
    assert len(heard) == 1
    assert heard[0].startswith("another grading of this stack is running (process ")
