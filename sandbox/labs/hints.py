"""Progressive hints: each call reveals the next one and records its point cost."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import ConfigError
from sandbox.labs.model import CheckSpec, Hint, Lab
from sandbox.labs.progress import ProgressStore


@dataclass(frozen=True)
class Revealed:
    check: CheckSpec
    hint: Hint
    number: int  # 1-based
    remaining: int


def next_hint(lab: Lab, home: Path, check_id: str | None = None) -> Revealed | None:
    """The next hint for `check_id`, or for the first check not yet passed; None when none
    are left. Revealing it costs the hint's points on that check."""
    with ProgressStore(home).update(lab.id) as progress:
        check = _target(lab, check_id, progress.passed, progress.hints)
        shown = progress.hints.get(check.id, 0) if check else 0
        if check is None or shown >= len(check.hints):
            return None
        hint = check.hints[shown]
        progress.hints[check.id] = shown + 1
        progress.hint_cost[check.id] = progress.hint_cost.get(check.id, 0) + hint.cost
    return Revealed(check, hint, shown + 1, len(check.hints) - shown - 1)


def _target(
    lab: Lab, check_id: str | None, passed: list[str], shown: dict[str, int]
) -> CheckSpec | None:
    if check_id is not None:
        check = lab.find_check(check_id)
        if check is None:
            ids = ", ".join(c.id for _, c in lab.checks())
            raise ConfigError(f"{lab.id} has no check {check_id!r}", f"use one of: {ids}")
        return check
    for _, check in lab.checks():
        if check.id not in passed and shown.get(check.id, 0) < len(check.hints):
            return check
    return None
