"""The error of an expression that cannot be parsed or evaluated.

It is not a SandboxError: it knows the expression, not the file. The caller that knows
where the expression is written (file:line) turns it into an InvalidWorkflowError or a
failed step.
"""

from __future__ import annotations


class ExpressionError(Exception):
    """What is wrong (`message`), what to do (`hint`), and where in the text (`offset`)."""

    def __init__(self, message: str, hint: str = "", offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message}: {self.hint}" if self.hint else self.message
