"""Expression text to a tree of nodes, by the grammar in grammar.lark (LALR, lark).

Besides the grammar, the parser checks what GitHub checks when it loads a workflow: every
function is known and called with the right number of arguments, and every name is a
context. Both are errors before anything runs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.pipeline.expressions.errors import ExpressionError

GRAMMAR = Path(__file__).with_name("grammar.lark")

# name (lower case) -> (fewest, most) arguments; None: no upper bound.
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "contains": (2, 2),
    "startswith": (2, 2),
    "endswith": (2, 2),
    "format": (1, None),
    "join": (1, 2),
    "tojson": (1, 1),
    "fromjson": (1, 1),
    "hashfiles": (1, None),
    "success": (0, 0),
    "failure": (0, 0),
    "always": (0, 0),
    "cancelled": (0, 0),
}
STATUS_FUNCTIONS = frozenset({"success", "failure", "always", "cancelled"})
CONTEXTS = frozenset(
    {
        "github",
        "env",
        "vars",
        "job",
        "steps",
        "runner",
        "secrets",
        "strategy",
        "matrix",
        "needs",
        "inputs",
    }
)


class Node:
    """An expression node; evaluate.py gives each kind its meaning."""


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class Named(Node):
    name: str  # a context, lower case


@dataclass(frozen=True)
class Member(Node):
    target: Node
    name: str


@dataclass(frozen=True)
class Star(Node):
    target: Node


@dataclass(frozen=True)
class Index(Node):
    target: Node
    index: Node


@dataclass(frozen=True)
class Call(Node):
    name: str  # lower case
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class Logical(Node):
    op: str  # "&&" or "||"
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node


@functools.cache
def _parser() -> Any:
    import lark  # here: only a run that evaluates expressions pays for lark

    return lark.Lark(GRAMMAR.read_text(), parser="lalr", maybe_placeholders=True)


@functools.cache
def parse(text: str) -> Node:
    """The expression's tree, or an ExpressionError saying where and what is wrong."""
    import lark

    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as err:
        raise _syntax_error(text, err) from None
    node: Node = _Build().transform(tree)
    _check_names(node)
    return node


def uses_status_function(node: Node) -> bool:
    """Whether the expression calls success(), failure(), always() or cancelled()."""
    if isinstance(node, Call):
        return node.name in STATUS_FUNCTIONS or any(uses_status_function(a) for a in node.args)
    return any(uses_status_function(child) for child in _children(node))


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Member | Star):
        return (node.target,)
    if isinstance(node, Index):
        return (node.target, node.index)
    if isinstance(node, Not):
        return (node.operand,)
    if isinstance(node, Logical | Compare):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def _check_names(node: Node) -> None:
    if isinstance(node, Named) and node.name not in CONTEXTS:
        raise ExpressionError(
            f"`{node.name}` is not a context",
            f"use one of {', '.join(sorted(CONTEXTS))}, or quote it to mean the text: "
            f"'{node.name}'",
        )
    if isinstance(node, Call):
        _check_call(node)
    for child in _children(node):
        _check_names(child)


def _check_call(node: Call) -> None:
    if node.name not in FUNCTIONS:
        known = "contains, startsWith, endsWith, format, join, toJSON, fromJSON, hashFiles, "
        raise ExpressionError(
            f"`{node.name}()` is not a function the sandbox supports",
            f"use one of {known}success, failure, always, cancelled",
        )
    fewest, most = FUNCTIONS[node.name]
    count = len(node.args)
    if count < fewest or (most is not None and count > most):
        wanted = f"{fewest} or more" if most is None else f"{fewest} to {most}"
        if fewest == most:
            wanted = str(fewest)
        raise ExpressionError(
            f"`{node.name}()` takes {wanted} argument(s), not {count}", "fix the call"
        )


def _syntax_error(text: str, err: Any) -> ExpressionError:
    column = int(getattr(err, "column", 0) or 0)
    token = getattr(err, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        what = "the expression ends too early"
    elif token is not None:
        what = f"unexpected `{token}` at column {column}"
    else:
        what = f"unexpected `{text[column - 1 : column]}` at column {column}"
    expected = sorted(_SHOWN.get(name, name) for name in _expected(err))
    hint = f"expected {', '.join(expected)}" if expected else "check the expression"
    if '"' in text:
        hint += "; strings take single quotes: 'text'"
    return ExpressionError(f"syntax error in `{text.strip()}`: {what}", hint)


def _expected(err: Any) -> set[str]:
    """The tokens that could come next (exact, from the parser's state, where it has one)."""
    interactive = getattr(err, "interactive_parser", None)
    if interactive is not None:
        return {name for name in interactive.accepts() if name != "$END"}
    return set(getattr(err, "expected", ()) or getattr(err, "allowed", ()) or ())


_SHOWN = {
    "OR": "||",
    "AND": "&&",
    "EQ_OP": "== or !=",
    "CMP_OP": "< <= > >=",
    "BANG": "!",
    "DOT": ".",
    "STAR": "*",
    "LSQB": "[",
    "RSQB": "]",
    "LPAR": "(",
    "RPAR": ")",
    "COMMA": ",",
    "TRUE": "true",
    "FALSE": "false",
    "NULL": "null",
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a 'string'",
}


def _build_transformer() -> Any:
    import lark

    class Build(lark.Transformer):  # type: ignore[type-arg]
        """Tree to nodes; names are case-insensitive in GitHub, so kept in lower case."""

        def number(self, items: list[Any]) -> Literal:
            return Literal(_number(str(items[0])))

        def string(self, items: list[Any]) -> Literal:
            return Literal(str(items[0])[1:-1].replace("''", "'"))

        def true(self, _: list[Any]) -> Literal:
            return Literal(True)

        def false(self, _: list[Any]) -> Literal:
            return Literal(False)

        def null(self, _: list[Any]) -> Literal:
            return Literal(None)

        def named(self, items: list[Any]) -> Named:
            return Named(str(items[0]).lower())

        def member(self, items: list[Any]) -> Member:
            return Member(items[0], str(items[2]))

        def star(self, items: list[Any]) -> Star:
            return Star(items[0])

        def index(self, items: list[Any]) -> Index:
            return Index(items[0], items[2])

        def call(self, items: list[Any]) -> Call:
            return Call(str(items[0]).lower(), tuple(items[2] or ()))

        def group(self, items: list[Any]) -> Node:
            node: Node = items[1]
            return node

        def arguments(self, items: list[Any]) -> tuple[Node, ...]:
            return tuple(item for item in items if isinstance(item, Node))

        def not_op(self, items: list[Any]) -> Not:
            return Not(items[1])

        def and_op(self, items: list[Any]) -> Logical:
            return Logical("&&", items[0], items[2])

        def or_op(self, items: list[Any]) -> Logical:
            return Logical("||", items[0], items[2])

        def compare(self, items: list[Any]) -> Compare:
            return Compare(str(items[1]), items[0], items[2])

    return Build


@functools.cache
def _transformer_class() -> Any:
    return _build_transformer()


def _Build() -> Any:  # reads as the class it makes
    return _transformer_class()()


def _number(text: str) -> float | int:
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-").lower()
    if body.startswith(("0x", "0o")):
        return sign * int(body, 0)
    value = float(body)
    return sign * int(value) if value.is_integer() and "e" not in body else sign * value
