"""Checks made after the schema and before anything runs: every expression parses (with
known functions and contexts), and every `needs` names a job and makes no cycle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sandbox.pipeline.conditions import condition
from sandbox.pipeline.expressions import ExpressionError, has_expression, split
from sandbox.pipeline.expressions.templates import parse_part
from sandbox.pipeline.graph import needs_problems
from sandbox.pipeline.model import Path_, Workflow
from sandbox.pipeline.problems import Problem

UNCHECKED = frozenset({"on"})  # triggers hold no expressions the sandbox evaluates


def workflow_problems(workflow: Workflow) -> list[Problem]:
    found = list(_expression_problems(workflow)) + needs_problems(workflow)
    return sorted(found, key=lambda p: p.line or 0)


def _expression_problems(workflow: Workflow) -> Iterator[Problem]:
    for path, value in _strings(workflow.data, ()):
        if path[-1] == "if" and _is_condition(path):
            yield from _condition_problem(workflow, path, value)
        elif has_expression(value):
            yield from _template_problems(workflow, path, str(value))


def _is_condition(path: Path_) -> bool:
    job_if, step_if = len(path) == 3, len(path) == 5 and path[2] == "steps"
    return path[0] == "jobs" and (job_if or step_if)  # jobs.<id>.if, jobs.<id>.steps[i].if


def _condition_problem(workflow: Workflow, path: Path_, value: Any) -> Iterator[Problem]:
    try:
        condition(value)
    except ExpressionError as err:
        yield _problem(workflow, path, err)


def _template_problems(workflow: Workflow, path: Path_, text: str) -> Iterator[Problem]:
    try:
        parts = split(text)
    except ExpressionError as err:
        yield _problem(workflow, path, err)
        return
    for part in parts:
        if part.is_expression:
            try:
                parse_part(part)
            except ExpressionError as err:
                yield _problem(workflow, path, err)


def _problem(workflow: Workflow, path: Path_, err: ExpressionError) -> Problem:
    line = workflow.source.text_line(path, err.offset)
    return Problem(workflow.source.file, line, str(err))


def _strings(value: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    """Every scalar under the workflow (keys outside `on`), with its path."""
    if isinstance(value, dict):
        for key, child in value.items():
            if not (path == () and key in UNCHECKED):
                yield from _strings(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _strings(child, (*path, i))
    elif path:
        yield path, value
