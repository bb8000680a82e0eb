"""Evaluating expression nodes in a scope: the contexts available where the expression is
written, and the state the status functions read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.pipeline.expressions import functions
from sandbox.pipeline.expressions.errors import ExpressionError
from sandbox.pipeline.expressions.syntax import (
    Call,
    Compare,
    Index,
    Literal,
    Logical,
    Member,
    Named,
    Node,
    Not,
    Star,
)
from sandbox.pipeline.expressions.values import (
    FilteredArray,
    compare,
    lookup,
    to_number,
    truthy,
)


@dataclass(frozen=True)
class Status:
    """What success(), failure() and cancelled() answer at this point of the run."""

    success: bool = True
    failure: bool = False
    cancelled: bool = False


@dataclass(frozen=True)
class Scope:
    """The contexts (lower-case names) available here, and the run's status so far."""

    contexts: Mapping[str, Any]
    status: Status | None = None  # None: status functions are not allowed here
    workspace: Path = field(default_factory=Path.cwd)


def evaluate(node: Node, scope: Scope) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Named):
        return _context(node.name, scope)
    if isinstance(node, Member):
        return lookup(evaluate(node.target, scope), node.name)
    if isinstance(node, Index):
        return _index(evaluate(node.target, scope), evaluate(node.index, scope))
    if isinstance(node, Star):
        return _star(evaluate(node.target, scope))
    if isinstance(node, Not):
        return not truthy(evaluate(node.operand, scope))
    if isinstance(node, Logical):
        return _logical(node, scope)
    if isinstance(node, Compare):
        return compare(node.op, evaluate(node.left, scope), evaluate(node.right, scope))
    if isinstance(node, Call):
        return _call(node, scope)
    raise ExpressionError(f"cannot evaluate {node!r}")  # the parser makes no other nodes


def _context(name: str, scope: Scope) -> Any:
    if name not in scope.contexts:
        available = ", ".join(sorted(scope.contexts))
        raise ExpressionError(f"the `{name}` context is not available here", f"use {available}")
    return scope.contexts[name]


def _index(target: Any, index: Any) -> Any:
    if isinstance(target, FilteredArray):
        found = (_index(item, index) for item in target)
        return FilteredArray(item for item in found if item is not None)
    if isinstance(target, list) and not isinstance(index, str):
        number = to_number(index)
        if number.is_integer() and 0 <= number < len(target):
            return target[int(number)]
        return None
    if isinstance(index, str):
        return lookup(target, index)
    return None


def _star(target: Any) -> FilteredArray:
    if isinstance(target, Mapping):
        return FilteredArray(target.values())
    return FilteredArray(target) if isinstance(target, list) else FilteredArray()


def _logical(node: Logical, scope: Scope) -> Any:
    """&& and || short-circuit and give back one of their operands, not a boolean."""
    left = evaluate(node.left, scope)
    if truthy(left) == (node.op == "||"):
        return left
    return evaluate(node.right, scope)


def _call(node: Call, scope: Scope) -> Any:
    if node.name in ("success", "failure", "always", "cancelled"):
        return _status(node.name, scope)
    args = [evaluate(arg, scope) for arg in node.args]
    if node.name == "hashfiles":
        return functions.hash_files(scope.workspace, *args)
    return functions.PURE[node.name](*args)


def _status(name: str, scope: Scope) -> bool:
    if scope.status is None:
        raise ExpressionError(
            f"{name}() can only be used in `if:`", "move the check into a job's or step's if:"
        )
    if name == "always":
        return True
    return bool(getattr(scope.status, name))
