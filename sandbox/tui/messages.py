"""Messages thread workers post back to the UI thread (the only place widgets change)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message

from sandbox.errors import SandboxError
from sandbox.labs.runner import CheckResult
from sandbox.stack.model import StackStatus
from sandbox.tui.metrics import MetricsView


class TaskDone(Message):
    """A background task finished: `then(value)` runs on the UI thread."""

    def __init__(self, label: str, value: Any, then: Callable[[Any], None]) -> None:
        super().__init__()
        self.label, self.value, self.then = label, value, then


class TaskFailed(Message):
    """A background task failed; `error.render()` is what the CLI would print."""

    def __init__(self, label: str, error: SandboxError, quiet: bool = False) -> None:
        super().__init__()
        self.label, self.error, self.quiet = label, error, quiet


class StatusUpdated(Message):
    def __init__(self, status: StackStatus | None, error: str = "") -> None:
        super().__init__()
        self.status, self.error = status, error


class FaultsUpdated(Message):
    """The faults in force (one line each), read by the Stack screen's poll."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines


class LogLines(Message):
    def __init__(self, generation: int, lines: list[str], reset: bool = False) -> None:
        super().__init__()
        self.generation, self.lines, self.reset = generation, lines, reset


class MetricsUpdated(Message):
    def __init__(self, view: MetricsView) -> None:
        super().__init__()
        self.view = view


class CheckProgress(Message):
    """A check started (result None) or finished."""

    def __init__(self, check_id: str, result: CheckResult | None) -> None:
        super().__init__()
        self.check_id, self.result = check_id, result
