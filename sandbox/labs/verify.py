"""`sandbox lab verify REPORT`: is this JSON report what this sandbox graded?

It recomputes what the report's provenance claims (the sandbox version, the sha256 of the lab
definition and check modules), checks that the score adds up from the checks and that each
check's points are the lab's, and, with SANDBOX_GRADER_KEY, checks the HMAC signature.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox import __version__
from sandbox.errors import SandboxError
from sandbox.labs import loader, provenance
from sandbox.labs.model import Lab
from sandbox.labs.provenance import Verdict


def read_report(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except OSError as err:
        raise SandboxError(f"cannot read {path}: {err.strerror}", "give the report's path") from err
    except ValueError as err:
        raise SandboxError(
            f"{path} is not JSON ({err})",
            "verify a report written by `sandbox lab check LAB --format json` (or --save FILE)",
        ) from err
    if not isinstance(document, dict) or "lab" not in document:
        raise SandboxError(
            f'{path} is not a lab report (no "lab" field)',
            "verify a report written by `sandbox lab check LAB --format json`",
        )
    return document


def verify(document: dict[str, Any], key: str | None) -> Verdict:
    verdict = Verdict(str(document.get("lab")), signed="signature" in document)
    if verdict.lab_id not in loader.lab_ids():
        verdict.problems.append(
            f"the report is for {verdict.lab_id!r}, a lab this sandbox does not have"
        )
        return verdict
    try:
        lab, _ = loader.load(verdict.lab_id)
    except SandboxError as err:
        verdict.problems.append(err.message)
        return verdict
    verdict.problems += provenance_problems(document, lab)
    verdict.problems += score_problems(document, lab)
    verdict.problems += signature_problems(document, key)
    return verdict


def provenance_problems(document: dict[str, Any], lab: Lab) -> list[str]:
    stamp = document.get("provenance")
    if not isinstance(stamp, dict):
        return ["the report has no provenance block (it was edited, or made by an older sandbox)"]
    problems = []
    if stamp.get("sandbox_version") != __version__:
        problems.append(
            f"graded by sandbox {stamp.get('sandbox_version')}, this is "
            f"{__version__}: verify with the version that graded it"
        )
    sha256 = stamp.get("sha256")
    claimed: dict[str, Any] = sha256 if isinstance(sha256, dict) else {}
    for name, digest in provenance.digests(lab).items():
        if claimed.get(name) != digest:
            problems.append(
                f"{name}: its sha256 differs from the one that graded this report "
                "(the file changed since, or the report was edited)"
            )
    problems += [
        f"{name}: graded by a file this sandbox does not have"
        for name in sorted(set(claimed) - set(provenance.sources(lab)))
    ]
    return problems


def score_problems(document: dict[str, Any], lab: Lab) -> list[str]:
    checks = document.get("checks")
    if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
        return ["the report has no list of checks"]
    problems = [p for check in checks for p in _check_problems(check, lab)]
    points = sum(_number(c.get("points")) for c in checks)
    if document.get("score") != points:
        problems.append(f"the score says {document.get('score')}, the checks add up to {points}")
    most = sum(_number(c.get("max_points")) for c in checks)
    if document.get("max_score") != most:
        problems.append(f"max_score says {document.get('max_score')}, the checks' add up to {most}")
    return problems


def _check_problems(check: dict[str, Any], lab: Lab) -> list[str]:
    spec = lab.find_check(str(check.get("id")))
    if spec is None:
        return [f"check {check.get('id')!r} is not a check of {lab.id}"]
    problems = []
    if check.get("max_points") != spec.points:
        problems.append(
            f"check {spec.id}: max_points {check.get('max_points')}, but the lab "
            f"gives it {spec.points}"
        )
    awarded = _number(check.get("points"))
    if awarded > spec.points or awarded < 0:
        problems.append(f"check {spec.id}: {awarded} points, out of {spec.points}")
    if awarded and check.get("status") != "passed":
        problems.append(f"check {spec.id}: {awarded} points, but it {check.get('status')}")
    return problems


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def signature_problems(document: dict[str, Any], key: str | None) -> list[str]:
    signed = "signature" in document
    if key is None:
        return (
            [
                "the report is signed, but SANDBOX_GRADER_KEY is not set here: the signature "
                "cannot be checked"
            ]
            if signed
            else []
        )
    if not signed:
        return [
            "the report is not signed (it was graded without SANDBOX_GRADER_KEY, or its "
            "signature was removed)"
        ]
    if not provenance.signature_matches(document, key):
        return [
            "the signature does not match: the report was edited after grading, or signed "
            "with another key"
        ]
    return []
