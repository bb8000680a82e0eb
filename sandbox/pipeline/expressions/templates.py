"""Strings with ${{ }} in them: found by scanning (a `}}` inside a quoted string does not
close an expression), then each expression parsed by the grammar and evaluated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.pipeline.expressions.errors import ExpressionError
from sandbox.pipeline.expressions.evaluate import Scope, evaluate
from sandbox.pipeline.expressions.syntax import Node, parse
from sandbox.pipeline.expressions.values import to_string

OPEN, CLOSE = "${{", "}}"


@dataclass(frozen=True)
class Part:
    """Plain text, or the text of one expression; `offset` is where it starts."""

    text: str
    offset: int
    is_expression: bool


def has_expression(text: object) -> bool:
    return isinstance(text, str) and OPEN in text


def split(text: str) -> list[Part]:
    parts: list[Part] = []
    start = 0
    while (opened := text.find(OPEN, start)) != -1:
        if opened > start:
            parts.append(Part(text[start:opened], start, False))
        inner = opened + len(OPEN)
        closed = _closing(text, inner)
        parts.append(Part(text[inner:closed], inner, True))
        start = closed + len(CLOSE)
    if start < len(text):
        parts.append(Part(text[start:], start, False))
    return parts


def _closing(text: str, start: int) -> int:
    quoted = False
    for i in range(start, len(text)):
        if text[i] == "'":
            quoted = not quoted  # a doubled '' flips twice
        elif not quoted and text.startswith(CLOSE, i):
            return i
    raise ExpressionError(
        f"`${{{{{text[start : start + 30]}` is never closed", "end the expression with }}", start
    )


def parse_part(part: Part) -> Node:
    try:
        return parse(part.text)
    except ExpressionError as err:
        raise ExpressionError(err.message, err.hint, part.offset) from None


def render(text: str, scope: Scope) -> Any:
    """The value of a string with expressions: a string, unless the whole value is one
    expression (then its value keeps its type, as on GitHub: `${{ matrix.n }}` is a number)."""
    parts = split(text)
    expressions = [p for p in parts if p.is_expression]
    if len(expressions) == 1 and all(p.is_expression or not p.text.strip() for p in parts):
        return _value(expressions[0], scope)
    return "".join(to_string(_value(p, scope)) if p.is_expression else p.text for p in parts)


def _value(part: Part, scope: Scope) -> Any:
    node = parse_part(part)
    try:
        return evaluate(node, scope)
    except ExpressionError as err:
        raise ExpressionError(err.message, err.hint, part.offset) from None
