"""Lab 05 graded as `sandbox lab check` grades it, on one stack of this module's own: first
the solution's pipeline, then the starter's, each against the lab's planted commits.

The stack is shared on purpose: the starter is graded after the solution has released a
version, so its plain `sandbox deploy` is seen not to move `live` away from it. The lab's
pipeline checks run at once (their kind is batched), as `sandbox lab check` runs them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.aws.clients import client
from sandbox.config import Settings
from sandbox.labs import loader, session
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import Status
from sandbox.labs.checks.lambda_alias import Alias, read_alias
from sandbox.labs.runner import LabReport
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.specs import free_port_variables

pytestmark = pytest.mark.slow
FUNCTION = "sandbox-events-processor"


@dataclass
class Graded:
    report: LabReport
    live: Alias | None  # where `live` was once the whole lab was graded
    page_150: int | None  # what `live` answers to GET /events?limit=150
    queue_target: str  # what the SQS trigger invokes once the grading ended

    def result(self, check_id: str) -> tuple[Status, str]:
        found = next(r for r in self.report.results if r.id == check_id)
        return found.status, found.message


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Graded]]:
    root = tmp_path_factory.mktemp("lab05")
    env = {"SANDBOX_HOME": str(root / "home"), **free_port_variables()}
    backend = EmbeddedBackend(Settings.from_env(env))
    backend.start()
    try:
        graded = {"solution": grade("solution", root, env)}
        graded["solution regraded"] = grade("solution", root, env, step="pipeline")
        graded["starter"] = grade("starter", root, env)
        yield graded
    finally:
        backend.reset()


def grade(variant: str, root: Path, env: dict[str, str], step: str | None = None) -> Graded:
    lab, registry = loader.load("05-cicd")
    workspace = root / variant / lab.id
    ws.copy_tree(lab.folder / variant, workspace, force=True)
    ws.point_stack_at(lab, Path(env["SANDBOX_HOME"]), workspace)
    settings = Settings.from_env(env)
    report = session.grade(lab, registry, settings, step=step, workspace=workspace)
    endpoint = EmbeddedBackend(settings).endpoint("aws")
    live = read_alias(endpoint, FUNCTION)
    return Graded(report, live, page_150(endpoint) if live else None, queue_target(endpoint))


def queue_target(endpoint: str) -> str:
    """What the SQS queue's trigger invokes: `live` after a release, the function ($LATEST)
    after a plain deploy."""
    mappings = client("lambda", endpoint).list_event_source_mappings(FunctionName=FUNCTION)
    [arn] = {
        m["FunctionArn"] for m in mappings["EventSourceMappings"] if ":sqs:" in m["EventSourceArn"]
    }
    return "live" if arn.endswith(":live") else "$LATEST"


def page_150(endpoint: str) -> int:
    event = {
        "httpMethod": "GET",
        "resource": "/events",
        "requestContext": {},
        "queryStringParameters": {"event_type": "order.created", "limit": "150"},
    }
    answer = client("lambda", endpoint).invoke(
        FunctionName=FUNCTION, Qualifier="live", Payload=json.dumps(event)
    )
    return int(json.loads(answer["Payload"].read())["statusCode"])


def test_the_solution_passes_every_check(graded: dict[str, Graded]) -> None:
    report = graded["solution"].report
    assert {r.id: r.status for r in report.results if r.status is not Status.PASSED} == {}
    assert report.score == report.max_score == 100


def test_each_bad_commit_stops_the_solution_at_its_own_stage(graded: dict[str, Graded]) -> None:
    solution = graded["solution"]
    stages = {
        "lint-error-blocks": "failed in job `lint`, step `ruff`",
        "failing-test-blocks": "failed in job `test`, step `Unit tests`",
        "root-image-blocks": "failed in job `static`, step `The image`",
        "smoke-failure-keeps-live": "failed in job `deploy`, step `Publish, smoke-test, promote`",
    }
    for check_id, stage in stages.items():
        status, message = solution.result(check_id)
        assert (status, stage in message) == (Status.PASSED, True), check_id
    # the runs are graded at once, each told apart in the deploy log by its run id: the
    # blocked ones deployed nothing, the smoke test's published a version it did not release
    assert "; it deployed nothing; " in solution.result("root-image-blocks")[1]
    smoke = solution.result("smoke-failure-keeps-live")[1]
    assert re.search(r"; it published version \d+ \(code \S+\) and did not release it", smoke)


def test_a_failing_unit_test_is_named_in_the_result(graded: dict[str, Graded]) -> None:
    _, message = graded["solution"].result("failing-test-blocks")
    assert "1 failed, 10 passed" in message


def test_a_version_failing_its_smoke_test_says_why(graded: dict[str, Graded]) -> None:
    _, message = graded["solution"].result("smoke-failure-keeps-live")
    assert "KeyError: 'EVENTS_TABLE_NAME'" in message


def test_the_good_change_is_what_live_runs(graded: dict[str, Graded]) -> None:
    solution = graded["solution"]
    status, message = solution.result("good-change-goes-live")
    assert status is Status.PASSED
    assert "the run succeeded (5 jobs); `live` moved from version " in message
    assert solution.live is not None
    assert message.endswith(f"to {solution.live.described}")
    assert solution.page_150 == 200  # the planted MAX_LIMIT = 200, not the workspace's 100


def test_grading_leaves_the_release_alone(graded: dict[str, Graded]) -> None:
    """Grading never deploys the workspace past the learner's pipeline: graded again (a step
    whose checks run nothing), the triggers still run `live`, where the solution's release
    put them."""
    assert graded["solution"].queue_target == "live"
    again = graded["solution regraded"]
    assert [r.status for r in again.report.results] == [Status.PASSED]
    assert (again.queue_target, again.live) == ("live", graded["solution"].live)


def test_the_starter_fails_every_marked_check(graded: dict[str, Graded]) -> None:
    lab, _ = loader.load("05-cicd")
    marked = {c.id for _, c in lab.checks() if c.must_fail_on_starter}
    results = graded["starter"].report.results
    assert {r.id for r in results if r.status is Status.FAILED} == marked
    assert graded["starter"].result("workflow-valid")[0] is Status.PASSED


def test_the_starter_deploys_every_bad_commit(graded: dict[str, Graded]) -> None:
    starter = graded["starter"]
    for check_id in (
        "lint-error-blocks",
        "failing-test-blocks",
        "root-image-blocks",
        "smoke-failure-keeps-live",
    ):
        _, message = starter.result(check_id)
        assert "the run succeeded (1 job); it deployed the changed code to $LATEST" in message
        assert message.endswith(
            ": it should have failed and the changed code should not have reached the triggers"
        ), check_id
    _, message = starter.result("deploy-needs-test")
    assert message.startswith("job `deploy` does not need `test` (it needs nothing)")


def test_the_starters_plain_deploy_never_moves_live(graded: dict[str, Graded]) -> None:
    _, message = graded["starter"].result("good-change-goes-live")
    assert "`live` should have moved to the changed code" in message
    assert graded["starter"].live == graded["solution"].live
