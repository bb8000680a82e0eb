"""classroom-resources/autograding-grading-reporter: GitHub Classroom's reporter, locally.

As the real action does, it reads each runner id of its `runners` input (comma-separated),
takes `<ID>_RESULTS` from the step's environment (upper case), decodes it (base64 of the
version-1 result JSON), prints the tests and the points, and fails the step when a
runner's status is `fail` ("Some tests failed.") or else `error` ("Some tests errored.").
The points are what it would send to GitHub Classroom: the tests' scores over the max_score
of every runner that has one. Here they go to the step summary instead.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.pipeline.actions.base import ActionCall, ActionFailed, ActionResult

MARKS = {"pass": "pass", "fail": "FAIL", "error": "ERROR"}


@dataclass(frozen=True)
class Test:
    name: str
    status: str  # pass, fail or error
    score: float
    max_score: float | None
    message: str


@dataclass(frozen=True)
class Runner:
    """One grading step's result, decoded from <ID>_RESULTS."""

    id: str
    status: str
    max_score: float
    tests: list[Test]

    @property
    def score(self) -> float:
        return sum(test.score for test in self.tests)


def grading_reporter(call: ActionCall) -> ActionResult:
    runners = [decoded(call.env, runner) for runner in runner_ids(call.input("runners"))]
    for line in points_table(runners).splitlines():
        call.log(line)
    result = ActionResult(summary=summary(runners))
    if any(r.status == "fail" for r in runners):
        raise ActionFailed("Some tests failed.", result)
    if any(r.status == "error" for r in runners):
        raise ActionFailed("Some tests errored.", result)
    return result


def runner_ids(text: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise ActionFailed(
            "runners: is empty: list the ids of the grading steps, comma-separated "
            "(e.g. runners: grading for a step with id: grading)"
        )
    return ids


def variable(runner: str) -> str:
    return f"{runner.upper()}_RESULTS"


def decoded(env: Mapping[str, str], runner: str) -> Runner:
    """The runner's result from <ID>_RESULTS; a clear ActionFailed when it is not there or
    not a version-1 result."""
    name = variable(runner)
    encoded = env.get(name, "").strip()
    if not encoded:
        raise ActionFailed(
            f"{name} is empty: the step with id: {runner} wrote no result (did it run?). It "
            "must write result=<base64 of the result JSON> to $GITHUB_OUTPUT (`sandbox lab "
            f"check LAB --format github` does), and this step needs env: {name}: "
            f"${{{{ steps.{runner}.outputs.result }}}}"
        )
    try:
        document = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):  # JSONDecodeError and UnicodeDecodeError are too
        raise ActionFailed(
            f"{name} is not base64 of a JSON document: hand over the grading step's `result` "
            "output as it is"
        ) from None
    return _runner(runner, document)


def _runner(runner: str, document: Any) -> Runner:
    problem = _shape_problem(document)
    if problem:
        raise ActionFailed(
            f"{variable(runner)} is not a GitHub Classroom result (version 1): {problem}"
        )
    tests = [_test(t) for t in document["tests"]]
    return Runner(runner, document["status"], float(document.get("max_score") or 0), tests)


def _shape_problem(document: Any) -> str:
    if not isinstance(document, dict):
        return "expected a JSON object"
    if document.get("status") not in MARKS:
        return f"status is {document.get('status')!r}, not pass, fail or error"
    if not isinstance(document.get("max_score", 0), int | float):
        return "max_score is not a number"
    tests = document.get("tests")
    if not isinstance(tests, list):
        return "tests is not a list"
    for index, test in enumerate(tests):
        if not isinstance(test, dict) or not isinstance(test.get("name"), str):
            return f"tests[{index}] has no name"
        if test.get("status") not in MARKS:
            return f"tests[{index}] ({test['name']}): status is {test.get('status')!r}"
        if not all(isinstance(test.get(k, 0), int | float) for k in ("score", "max_score")):
            return f"tests[{index}] ({test['name']}): score or max_score is not a number"
    return ""


def _test(data: dict[str, Any]) -> Test:
    top = data.get("max_score")
    return Test(
        data["name"],
        data["status"],
        float(data.get("score") or 0),
        None if top is None else float(top),
        str(data.get("message") or ""),
    )


def total(runners: list[Runner]) -> tuple[float, float]:
    """(points, max): as the real reporter counts them, only runners with a max_score."""
    counted = [r for r in runners if r.max_score]
    return sum(r.score for r in counted), sum(r.max_score for r in counted)


def _points(score: float, top: float | None) -> str:
    return f"{score:g}/{top:g}" if top is not None else f"{score:g}"


def points_table(runners: list[Runner]) -> str:
    """Why each test that did not pass failed (first line), then per runner each test's
    status and points and the runner's total, then the points (last: what a log tail keeps)."""
    lines = [
        f"{MARKS[t.status]}: {t.name}: {_first_line(t.message)}"
        for runner in runners
        for t in runner.tests
        if t.status != "pass"
    ]
    for runner in runners:
        rows = _rows(runner)
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        lines += [f"{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}" for a, b, c in rows]
    points, top = total(runners)
    lines.append(f"Points {points:g}/{top:g}")
    return "\n".join(lines)


def _rows(runner: Runner) -> list[tuple[str, str, str]]:
    rows = [("TEST", "STATUS", "POINTS")]
    rows += [(t.name, MARKS[t.status], _points(t.score, t.max_score)) for t in runner.tests]
    rows.append((f"Total for {runner.id}", runner.status, _points(runner.score, runner.max_score)))
    return rows


def _first_line(message: str) -> str:
    first, _, rest = (message.strip() or "(no message)").partition("\n")
    return f"{first} (...)" if rest.strip() else first


def summary(runners: list[Runner]) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: the same table."""
    points, top = total(runners)
    lines = [f"### Autograding: {points:g}/{top:g} points", "", "| Test | Status | Points |"]
    lines.append("| --- | --- | --- |")
    for runner in runners:
        lines += [
            f"| {_cell(t.name)} | {t.status} | {_points(t.score, t.max_score)} |"
            for t in runner.tests
        ]
        lines.append(
            f"| **Total for {runner.id}** | {runner.status} | "
            f"**{_points(runner.score, runner.max_score)}** |"
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
