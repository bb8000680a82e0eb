"""`if:` values as expression nodes, with GitHub's rules: the ${{ }} around the whole
condition is optional, and a condition that calls no status function means
`success() && (condition)`."""

from __future__ import annotations

from typing import Any

from sandbox.pipeline.expressions import ExpressionError, parse, split, uses_status_function
from sandbox.pipeline.expressions.syntax import Call, Literal, Logical, Node

SUCCESS = Call("success", ())


def condition(value: Any) -> Node:
    """The node for an `if:` value (None: no `if:`, i.e. success())."""
    if value is None:
        return SUCCESS
    if isinstance(value, bool | int | float):
        return Logical("&&", SUCCESS, Literal(value))
    node = parse(_expression_text(str(value)))
    return node if uses_status_function(node) else Logical("&&", SUCCESS, node)


def _expression_text(text: str) -> str:
    stripped = text.strip()
    if "${{" not in stripped:
        return stripped
    parts = split(stripped)
    if len(parts) == 1 and parts[0].is_expression:
        return parts[0].text
    raise ExpressionError(
        f"the condition `{stripped}` mixes ${{{{ }}}} with other text, so GitHub reads it as "
        "a non-empty string: always true",
        "write the whole condition without ${{ }}, e.g. if: github.ref == 'refs/heads/main'",
    )
