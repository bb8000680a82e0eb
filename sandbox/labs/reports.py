"""Report formats: text for people, JSON, JUnit XML, GitHub Classroom autograding."""

from __future__ import annotations

import json
import textwrap
from xml.etree import ElementTree as ET

from sandbox.labs.checks.base import Status
from sandbox.labs.runner import LabReport

MARKS = {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.UNKNOWN: "????"}
FORMATS = ("text", "json", "junit", "github")


def render(report: LabReport, fmt: str) -> str:
    return {"text": text, "json": as_json, "junit": junit, "github": github}[fmt](report)


def text(report: LabReport) -> str:
    lines = [f"{report.lab_id}: {report.title}"]
    for r in report.results:
        lines.append(f"  {MARKS[r.status]}  {r.id:<28} {r.points:>3}/{r.max_points:<3} {r.title}")
        if r.status is not Status.PASSED:
            lines.append(textwrap.indent(r.message, "        "))
    passed = sum(r.status is Status.PASSED for r in report.results)
    lines.append(f"score {report.score}/{report.max_score}   "
                 f"{passed}/{len(report.results)} checks passed")  # fmt: skip
    return "\n".join(lines)


def as_json(report: LabReport) -> str:
    return json.dumps({
        "lab": report.lab_id, "title": report.title, "score": report.score,
        "max_score": report.max_score, "exit_code": report.exit_code,
        "checks": [r.to_dict() for r in report.results],
    }, indent=2)  # fmt: skip


def junit(report: LabReport) -> str:
    failures = sum(r.status is Status.FAILED for r in report.results)
    errors = sum(r.status is Status.UNKNOWN for r in report.results)
    suite = ET.Element("testsuite", name=report.lab_id, tests=str(len(report.results)),
                       failures=str(failures), errors=str(errors),
                       time=f"{sum(r.duration_s for r in report.results):.3f}")  # fmt: skip
    for r in report.results:
        case = ET.SubElement(suite, "testcase", classname=f"{report.lab_id}.{r.step}", name=r.id,
                             time=f"{r.duration_s:.3f}")  # fmt: skip
        if r.status is Status.FAILED:
            ET.SubElement(case, "failure", message=r.message).text = r.message
        elif r.status is Status.UNKNOWN:
            ET.SubElement(case, "error", message=r.message).text = r.message
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def github(report: LabReport) -> str:
    """The GitHub Classroom autograding result shape: points per test and the max score."""
    tests = [{
        "name": r.title, "status": "pass" if r.status is Status.PASSED else (
            "fail" if r.status is Status.FAILED else "error"),
        "message": r.message, "score": r.points, "max_score": r.max_points,
        "line_no": 0, "test_code": f"{report.lab_id}:{r.id}",
    } for r in report.results]  # fmt: skip
    status = "pass" if report.exit_code == 0 else ("error" if report.exit_code == 2 else "fail")
    return json.dumps({"version": 1, "status": status, "max_score": report.max_score,
                       "tests": tests}, indent=2)  # fmt: skip
