"""Small read-only views the screens render (the core's own types are used where they fit:
StackStatus, DeployResult, FireResult, CheckResult, LabReport, the lab engine's LabRow)."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.labs.engine import LabRow

__all__ = ["CheckRow", "HintView", "LabDetail", "LabRow", "QueueRow"]


@dataclass(frozen=True)
class CheckRow:
    id: str
    title: str
    step: str
    step_title: str
    points: int
    hints: int


@dataclass(frozen=True)
class LabDetail:
    id: str
    title: str
    markdown: str  # the summary and every step's instructions
    checks: tuple[CheckRow, ...]
    revealed: dict[str, tuple[str, ...]]  # check id -> the hints revealed so far

    def step_of(self, check_id: str) -> str | None:
        return next((c.step for c in self.checks if c.id == check_id), None)


@dataclass(frozen=True)
class HintView:
    check_id: str
    number: int  # 1-based
    text: str
    cost: int
    remaining: int


@dataclass(frozen=True)
class QueueRow:
    queue: str
    visible: int
    in_flight: int
    dead_letter: bool
    dlq_depth: int | None  # the visible messages in this queue's dead-letter queue, if any


@dataclass(frozen=True)
class SnapshotRow:
    name: str
    created: float  # epoch seconds
    size: int  # bytes on disk (compressed)
    kind: str  # user, before-load, step; "damaged" when it cannot be read
    made_with: str  # "sandbox 0.1.0, ministack 1.5.33"
    note: str = ""
