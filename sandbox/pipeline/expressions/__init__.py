"""GitHub Actions expressions: a grammar (grammar.lark), a parser that builds nodes
(syntax.py), GitHub's value semantics (values.py), functions and an evaluator."""

from sandbox.pipeline.expressions.errors import ExpressionError
from sandbox.pipeline.expressions.evaluate import Scope, Status, evaluate
from sandbox.pipeline.expressions.syntax import parse, uses_status_function
from sandbox.pipeline.expressions.templates import has_expression, render, split

__all__ = [
    "ExpressionError",
    "Scope",
    "Status",
    "evaluate",
    "has_expression",
    "parse",
    "render",
    "split",
    "uses_status_function",
]
