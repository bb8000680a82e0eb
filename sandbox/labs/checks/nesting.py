"""Running a check inside another (a fault around it, counters around it): the shared bits."""

from __future__ import annotations

import dataclasses
from typing import Any

from sandbox.labs.checks.base import CheckContext, Outcome


def run_nested(ctx: CheckContext, spec: dict[str, Any]) -> Outcome:
    """The nested check's outcome, behind the guard like any check (never an exception)."""
    if ctx.nested is None:
        return Outcome.unknown("nested checks run only inside the grader (`sandbox lab check`)")
    return ctx.nested(spec)


def retold(outcome: Outcome, prefix: str) -> Outcome:
    """The same outcome, its message prefixed with what was done around it."""
    return dataclasses.replace(outcome, message=f"{prefix}: {outcome.message}")
