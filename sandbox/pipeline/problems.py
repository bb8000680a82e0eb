"""Problems found in a workflow file, each at file:line, and the one error that carries them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.errors import WorkflowError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a workflow: where it is and what to change."""

    file: str
    line: int | None
    message: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "message": self.message}


class InvalidWorkflowError(WorkflowError):
    """The workflow cannot run; `problems` lists every problem found, each with its line."""

    def __init__(self, problems: Sequence[Problem], hint: str = "") -> None:
        first = problems[0]
        if len(problems) == 1:
            message = str(first)
        else:
            listed = "\n".join(f"  {problem}" for problem in problems)
            message = f"{first.file}: {len(problems)} problems\n{listed}"
        super().__init__(message, hint)
        self.problems = tuple(problems)


def fail(file: str, line: int | None, message: str, hint: str = "") -> InvalidWorkflowError:
    """One problem as an error to raise."""
    return InvalidWorkflowError([Problem(file, line, message)], hint)
