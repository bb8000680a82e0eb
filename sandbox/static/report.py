"""Findings as text for a person or JSON for a program (the CLI prints these)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from sandbox.static.findings import Finding, Outcome, outcome

EXIT_CODES: dict[Outcome, int] = {"passed": 0, "failed": 1, "unknown": 2}


def counts(findings: Sequence[Finding]) -> dict[str, int]:
    found = Counter(str(f.severity) for f in findings)
    return {severity: found[severity] for severity in ("error", "warning", "unknown")}


def as_text(target: str, findings: Sequence[Finding]) -> str:
    if not findings:
        return f"{target}: passed, no findings"
    lines = [_line(f) for f in findings]
    summary = ", ".join(_plural(n, severity) for severity, n in counts(findings).items() if n)
    lines.append(f"{target}: {outcome(findings)} ({summary})")
    return "\n".join(lines)


def _plural(count: int, severity: str) -> str:
    word = (
        {"error": "errors", "warning": "warnings"}.get(severity, severity)
        if count > 1
        else severity
    )
    return f"{count} {word}"


def _line(finding: Finding) -> str:
    where = " ".join(part for part in (finding.resource, finding.path) if part)
    also = f" (hadolint {', '.join(finding.also)})" if finding.also else ""
    head = f"{finding.location}: {finding.severity} {finding.rule}{also}"
    return f"{head} {where}\n    {finding.message}" if where else f"{head}\n    {finding.message}"


def as_json(target: str, findings: Sequence[Finding]) -> str:
    return json.dumps(
        {
            "target": target,
            "outcome": outcome(findings),
            "counts": counts(findings),
            "findings": [f.to_dict() for f in findings],
        }
    )


def error_json(target: str, message: str, hint: str) -> str:
    """The JSON for a path that could not be graded at all."""
    body = {"target": target, "outcome": "unknown", "error": message, "hint": hint}
    return json.dumps({**body, "counts": counts([]), "findings": []})
