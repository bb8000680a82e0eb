"""log_line: a service's recent log lines match a pattern, or are all JSON with given fields."""

from __future__ import annotations

import json
import re

from pydantic import Field

from sandbox.labs.checks.base import Capability, CheckContext, CheckKind, Outcome, Params
from sandbox.stack.logs import is_note


class LogParams(Params):
    service: str = "app"
    pattern: str | None = None
    min_count: int = 1
    last_lines: int = Field(200, ge=1, le=10_000)
    every_line_json: bool = False
    json_fields: list[str] = Field(default_factory=list)


def evaluate(params: LogParams, ctx: CheckContext) -> Outcome:
    if ctx.control is None:
        return Outcome.unknown("no stack to read logs from: is the stack running?")
    lines = _recent_lines(ctx, params.service, params.last_lines)
    if not lines:
        return Outcome.failed(f"the {params.service} log is empty")
    if params.every_line_json:
        outcome = _all_json(lines, params.json_fields)
        if outcome is not None:
            return outcome
    if params.pattern is not None:
        hits = [ln for ln in lines if re.search(params.pattern, ln)]
        if len(hits) < params.min_count:
            return Outcome.failed(
                f"expected {params.min_count}+ line(s) matching {params.pattern!r}"
                f" in the last {len(lines)}, found {len(hits)}"
            )
    return Outcome.passed(f"{len(lines)} recent {params.service} log lines as expected")


def _recent_lines(ctx: CheckContext, service: str, last: int) -> list[str]:
    """The service's own recent output, through the backend (a file here, `docker compose
    logs` there); the sandbox's notes about it (restarts) are not its output."""
    lines = [ln for ln in ctx.control.logs(service) if ln.strip() and not is_note(ln)]
    return lines[-last:]


def _all_json(lines: list[str], fields: list[str]) -> Outcome | None:
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            return Outcome.failed(f"not a JSON line: {line[:120]!r}")
        missing = [f for f in fields if not isinstance(entry, dict) or f not in entry]
        if missing:
            return Outcome.failed(f"JSON line without {', '.join(missing)}: {line[:120]!r}")
    return None


# No `needs`: it reads the service's log through the backend, not the service, and a
# stopped or crashed service's log still holds the lines the check is about.
EXAMPLE = {
    "service": "app",
    "last_lines": 10,
    "every_line_json": True,
    "json_fields": ["level", "message"],
}
KIND = CheckKind(
    "log_line",
    LogParams,
    evaluate,
    requires=(Capability.LOGS,),
    example=EXAMPLE,
    summary="A service's recent log lines match a pattern, or are all JSON with given fields.",
)
