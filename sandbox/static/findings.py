"""What every static check returns: findings, and how to read a list of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any, Literal

Outcome = Literal["passed", "failed", "unknown"]

# When a file cannot be read (or a check broke), no rule can say it is clean: these are kept
# by every selection.
INPUT_RULES = frozenset({"K8S-YAML", "K8S-DOCUMENT", "K8S-KUSTOMIZE", "DF-PARSE", "K8S-INTERNAL"})
HADOLINT_MISSING = "HADOLINT-MISSING"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    UNKNOWN = (
        "unknown"  # the rule could not be evaluated (a tool is missing): neither pass nor fail
    )


@dataclass(frozen=True)
class Finding:
    """One mistake: where it is (file, line, resource, path) and what to change (message)."""

    rule: str
    severity: Severity
    file: str
    resource: str
    path: str
    message: str
    line: int | None = None
    also: tuple[str, ...] = ()  # hadolint's codes for this same mistake (merged into ours)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "severity": str(self.severity), "also": list(self.also)}

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line or 0, self.rule, self.path)


def select(findings: Iterable[Finding], rules: Sequence[str]) -> list[Finding]:
    """The findings of the rules named by `rules` (ids or glob patterns like `K8S-PROBE-*`).
    Input problems are always kept, and so is a missing hadolint when a DL/SC rule is asked."""
    return [f for f in findings if any(_covers(f, pattern) for pattern in rules)]


def _covers(finding: Finding, pattern: str) -> bool:
    if finding.rule in INPUT_RULES:
        return True
    if any(fnmatchcase(rule, pattern.upper()) for rule in (finding.rule, *finding.also)):
        return True
    return finding.rule == HADOLINT_MISSING and pattern.upper().startswith(("DL", "SC"))


def outcome(findings: Iterable[Finding]) -> Outcome:
    """failed when anything is wrong, unknown when something could not be checked, else passed."""
    severities = {f.severity for f in findings}
    if severities & {Severity.ERROR, Severity.WARNING}:
        return "failed"
    return "unknown" if Severity.UNKNOWN in severities else "passed"
