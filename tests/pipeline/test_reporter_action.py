"""classroom-resources/autograding-grading-reporter, run locally: it decodes each runner's
<ID>_RESULTS, prints the points table, writes the summary, and fails the step as the real
reporter does when a runner's status is fail or error. A missing or malformed result is a
clear failure, never a traceback."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from sandbox.pipeline.actions import ActionFailed
from sandbox.pipeline.actions.grading_reporter import decoded, runner_ids
from tests.pipeline.conftest import Ran, Runner

PASSED = {"name": "/health answers 200", "status": "pass", "score": 5, "max_score": 5}
FAILED = {
    "name": "/ready answers 200",
    "status": "fail",
    "message": "GET /ready: expected 200, got 404\nmore detail",
    "score": 0,
    "max_score": 15,
}
ERRORED = {"name": "metrics", "status": "error", "message": "unreachable", "score": 0}


def result(status: str, tests: list[dict[str, Any]], max_score: int = 20) -> str:
    document = {"version": 1, "status": status, "max_score": max_score, "tests": tests}
    return base64.b64encode(json.dumps(document).encode()).decode()


def workflow(*runners: tuple[str, str]) -> str:
    """A grading step per (id, encoded result), then the reporter for all of them."""
    steps = "".join(
        f"""
              - id: {runner}
                run: echo "result={encoded}" >> "$GITHUB_OUTPUT"
        """
        for runner, encoded in runners
    )
    env = "".join(
        f"\n                  {r.upper()}_RESULTS: ${{{{ steps.{r}.outputs.result }}}}"
        for r, _ in runners
    )
    return f"""
        on: push
        jobs:
          grade:
            runs-on: ubuntu-latest
            steps:{steps}
              - name: Report
                uses: classroom-resources/autograding-grading-reporter@v1
                env:{env}
                with:
                  runners: {",".join(r for r, _ in runners)}
    """


def reported(ran: Ran) -> str:
    return str(ran.step("grade", "Report").message)


def printed(ran: Ran) -> str:
    """The live output, each run of spaces (the table's padding) squeezed to one."""
    return "\n".join(" ".join(line.split()) for line in ran.output.splitlines())


def test_a_passing_result_prints_each_test_with_its_points_and_succeeds(
    run_yaml: Runner,
) -> None:
    ran = run_yaml(workflow(("grading", result("pass", [PASSED], max_score=5))))
    assert str(ran.result.conclusion) == "success"
    assert "| TEST STATUS POINTS" in printed(ran)
    assert "| /health answers 200 pass 5/5" in printed(ran)
    assert "| Total for grading pass 5/5" in printed(ran)
    assert "| Points 5/5" in ran.output


def test_a_failed_test_shows_zero_of_its_points_and_fails_the_step(run_yaml: Runner) -> None:
    ran = run_yaml(workflow(("grading", result("fail", [PASSED, FAILED]))))
    assert str(ran.result.conclusion) == "failure"
    assert reported(ran).endswith("autograding-grading-reporter@v1: Some tests failed.")
    assert "| FAIL: /ready answers 200: GET /ready: expected 200, got 404 (...)" in ran.output
    assert "| /ready answers 200 FAIL 0/15" in printed(ran)
    assert "| Points 5/20" in ran.output


def test_the_summary_is_written_even_when_the_step_fails(run_yaml: Runner) -> None:
    ran = run_yaml(workflow(("grading", result("fail", [PASSED, FAILED]))))
    summary = ran.job("grade").summary
    assert summary.startswith("### Autograding: 5/20 points")
    assert "| /ready answers 200 | fail | 0/15 |" in summary
    assert "| **Total for grading** | fail | **5/20** |" in summary


def test_an_error_status_fails_the_step_as_errored(run_yaml: Runner) -> None:
    ran = run_yaml(workflow(("grading", result("error", [PASSED, ERRORED], max_score=5))))
    assert reported(ran).endswith("Some tests errored.")
    assert "| metrics ERROR 0" in printed(ran)


def test_several_runners_add_up_and_one_without_max_score_counts_no_points(
    run_yaml: Runner,
) -> None:
    ran = run_yaml(
        workflow(
            ("lab-one", result("pass", [PASSED], max_score=5)),
            ("extra", result("pass", [{**PASSED, "score": 0, "max_score": 0}], max_score=0)),
        )
    )
    assert "| Total for lab-one pass 5/5" in printed(ran)
    assert "| Points 5/5" in ran.output  # as the real reporter: a runner's max_score 0 is left out
    assert str(ran.result.conclusion) == "success"


def test_a_missing_result_says_which_step_and_variable_to_fix(run_yaml: Runner) -> None:
    ran = run_yaml(workflow(("grading", "")))
    message = reported(ran)
    assert "GRADING_RESULTS is empty: the step with id: grading wrote no result" in message
    assert "GRADING_RESULTS: ${{ steps.grading.outputs.result }}" in message
    assert "Traceback" not in ran.output


@pytest.mark.parametrize(
    ("encoded", "says"),
    [
        ("not base64!", "GRADING_RESULTS is not base64 of a JSON document"),
        (base64.b64encode(b"{not json").decode(), "is not base64 of a JSON document"),
        (base64.b64encode(b"[1, 2]").decode(), "(version 1): expected a JSON object"),
        (result("done", []), "status is 'done', not pass, fail or error"),
        (result("pass", [{"status": "pass"}]), "tests[0] has no name"),
        (result("pass", [{**PASSED, "score": "5"}]), "score or max_score is not a number"),
        (result("pass", [{**PASSED, "status": "ok"}]), "tests[0] (/health answers 200): status"),
    ],
)
def test_a_malformed_result_is_a_clear_failure(encoded: str, says: str) -> None:
    with pytest.raises(ActionFailed, match="GRADING_RESULTS") as failed:
        decoded({"GRADING_RESULTS": encoded}, "grading")
    assert says in str(failed.value)


def test_runner_ids_are_comma_separated_and_must_not_be_empty() -> None:
    assert runner_ids(" grading, lint-test ") == ["grading", "lint-test"]
    with pytest.raises(ActionFailed, match="runners: is empty"):
        runner_ids(" , ")
