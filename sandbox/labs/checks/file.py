"""file: a file in the learner's workspace exists, contains or matches something."""

from __future__ import annotations

import re

from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params


class FileParams(Params):
    path: str  # relative to the workspace
    exists: bool = True
    contains: str | None = None
    not_contains: str | None = None
    matches: str | None = None  # a regular expression, searched (multiline)


def evaluate(params: FileParams, ctx: CheckContext) -> Outcome:
    path = (ctx.workspace / params.path).resolve()
    if not path.is_relative_to(ctx.workspace.resolve()):
        return Outcome.unknown(f"{params.path} is outside the workspace")
    if not params.exists:
        return Outcome.failed(f"{params.path} exists") if path.exists() else Outcome.passed()
    if not path.is_file():
        return Outcome.failed(f"{params.path} does not exist in {ctx.workspace}")
    text = path.read_text(errors="replace")
    if params.contains is not None and params.contains not in text:
        return Outcome.failed(f"{params.path} does not contain {params.contains!r}")
    if params.not_contains is not None and params.not_contains in text:
        return Outcome.failed(f"{params.path} still contains {params.not_contains!r}")
    if params.matches is not None and not re.search(params.matches, text, re.MULTILINE):
        return Outcome.failed(f"{params.path} has nothing matching {params.matches!r}")
    return Outcome.passed(f"{params.path} as expected")


EXAMPLE = {"path": "app/config.py", "contains": "os.environ", "not_contains": "password123"}
KIND = CheckKind(
    "file",
    FileParams,
    evaluate,
    example=EXAMPLE,
    summary="A file in the learner's workspace exists, contains or matches something.",
)
