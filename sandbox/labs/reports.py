"""Report formats: text for people, JSON, JUnit XML, GitHub Classroom autograding."""

from __future__ import annotations

import base64
import json
import textwrap
from xml.etree import ElementTree as ET

from sandbox.labs import provenance
from sandbox.labs.checks.base import Status
from sandbox.labs.runner import CheckResult, LabReport
from sandbox.labs.watch import Changed

MARKS = {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.UNKNOWN: "????"}
FORMATS = ("text", "json", "junit", "github")


def render(report: LabReport, fmt: str, key: str | None = None) -> str:
    """The report in `fmt`; a JSON report is signed when an instructor `key` is given."""
    if fmt == "json":
        return as_json(report, key)
    return {"text": text, "junit": junit, "github": github}[fmt](report)


def text(report: LabReport) -> str:
    lines = [f"{report.lab_id}: {report.title}"]
    for r in report.results:
        lines.append(f"  {MARKS[r.status]}  {r.id:<28} {r.points:>3}/{r.max_points:<3} {r.title}")
        if r.status is not Status.PASSED:
            lines.append(textwrap.indent(r.message, "        "))
    return "\n".join([*lines, _score(report), *_not_run(report)])


def changes_text(before: LabReport | None, after: LabReport, changed: list[Changed]) -> str:
    """What a new grading changed (the whole report the first time): `--watch`'s output."""
    if before is None:
        return text(after)
    if not changed:
        return f"no check changed: score {after.score}/{after.max_score}"
    lines = []
    for change in changed:
        r = change.result
        was = MARKS[change.before] if change.before else "new "
        line = f"  {was} -> {MARKS[r.status]}  {r.id:<28} {r.points:>3}/{r.max_points:<3} {r.title}"
        lines.append(line)
        if r.status is not Status.PASSED:
            lines.append(textwrap.indent(r.message, "        "))
    delta = after.score - before.score
    return "\n".join([*lines, f"score {after.score}/{after.max_score} ({delta:+d})"])


def _score(report: LabReport) -> str:
    counts = [f"{report.count(Status.PASSED)}/{len(report.results)} checks passed"]
    if report.count(Status.FAILED):
        counts.append(f"{report.count(Status.FAILED)} failed")
    if report.count(Status.UNKNOWN):
        counts.append(f"{report.count(Status.UNKNOWN)} could not run")
    return f"score {report.score}/{report.max_score}   " + ", ".join(counts)


def _not_run(report: LabReport) -> list[str]:
    """What to do about the checks that could not run: they are not the learner's failures."""
    unreachable = report.unreachable
    other = [r for r in report.results if r.status is Status.UNKNOWN and r not in unreachable]
    lines = []
    if unreachable:
        lines.append(
            f"{_checks(unreachable)} could not run (service unreachable): run "
            f"{'it' if len(unreachable) == 1 else 'them'} again when the stack is up "
            "(`sandbox status`)"
        )
    if other:
        lines.append(f"{_checks(other)} could not be evaluated: see the ???? lines above")
    return lines


def _checks(results: list[CheckResult]) -> str:
    points = sum(r.max_points for r in results)
    return f"{len(results)} check{'s' * (len(results) != 1)} ({points} points)"


def as_json(report: LabReport, key: str | None = None) -> str:
    counts = {str(status): report.count(status) for status in Status}
    document = {
        "lab": report.lab_id,
        "title": report.title,
        "score": report.score,
        "max_score": report.max_score,
        "exit_code": report.exit_code,
        "counts": {**counts, "unreachable": len(report.unreachable)},
        "checks": [r.to_dict() for r in report.results],
        "provenance": report.provenance,
    }
    return json.dumps(provenance.sign(document, key) if key else document, indent=2)


def junit(report: LabReport) -> str:
    """A check that could not run is an `error` (type "unreachable" when a service was
    down), never a `failure`: CI tells "the learner's code is wrong" from "run it again"."""
    suite = ET.Element(
        "testsuite",
        name=report.lab_id,
        tests=str(len(report.results)),
        failures=str(report.count(Status.FAILED)),
        errors=str(report.count(Status.UNKNOWN)),
        time=f"{sum(r.duration_s for r in report.results):.3f}",
    )
    for r in report.results:
        _testcase(suite, report.lab_id, r)
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def _testcase(suite: ET.Element, lab_id: str, r: CheckResult) -> None:
    case = ET.SubElement(
        suite, "testcase", classname=f"{lab_id}.{r.step}", name=r.id, time=f"{r.duration_s:.3f}"
    )
    if r.status is Status.FAILED:
        ET.SubElement(case, "failure", message=r.message).text = r.message
    elif r.status is Status.UNKNOWN:
        kind = "unreachable" if r.unreachable else "unknown"
        ET.SubElement(case, "error", message=r.message, type=kind).text = r.message


GITHUB_STATUS = {Status.PASSED: "pass", Status.FAILED: "fail", Status.UNKNOWN: "error"}


def github(report: LabReport) -> str:
    """The GitHub Classroom autograding result shape: points per test and the max score;
    a check that could not run is an "error", not a "fail"."""
    tests = [_github_test(report.lab_id, r) for r in report.results]
    status = {0: "pass", 2: "error"}.get(report.exit_code, "fail")
    document = {"version": 1, "status": status, "max_score": report.max_score, "tests": tests}
    return json.dumps(document, indent=2)


def github_output(report: LabReport) -> str:
    """The step output line for $GITHUB_OUTPUT: `result=` and the version-1 JSON in base64,
    which GitHub Classroom's reporter (classroom-resources/autograding-grading-reporter)
    reads from the `<ID>_RESULTS` variable."""
    compact = json.dumps(json.loads(github(report)), separators=(",", ":"))
    return "result=" + base64.b64encode(compact.encode()).decode() + "\n"


def _github_test(lab_id: str, r: CheckResult) -> dict[str, object]:
    return {
        "name": r.title,
        "status": GITHUB_STATUS[r.status],
        "message": r.message,
        "score": r.points,
        "max_score": r.max_points,
        "line_no": 0,
        "duration": r.duration_s,
        "test_code": f"sandbox lab check {lab_id} {r.step}  # {r.id}",
    }
