"""`sandbox lab check LAB --watch`: grade again whenever a workspace file changes, and say
only what changed (a check that now passes, one that broke, the new score).

The workspace is polled (a stamp of every file's size and modification time): no extra
dependency, and the same on every platform. An edit that touches several files is graded
once, after the files stop changing for a moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import SandboxError
from sandbox.labs.checks.base import Status
from sandbox.labs.runner import CheckResult, LabReport
from sandbox.labs.stamp import stamp

EVERY = 0.5  # seconds between looks at the workspace
SETTLE = 0.3  # an edit is graded once the files have not changed for this long


@dataclass(frozen=True)
class Changed:
    """One check whose outcome changed between two gradings (`before` None: new to it)."""

    result: CheckResult
    before: Status | None
    points_before: int

    @property
    def id(self) -> str:
        return self.result.id


def changes(before: LabReport | None, after: LabReport) -> list[Changed]:
    """The checks whose status or points changed (every check, for the first grading)."""
    earlier = {r.id: r for r in before.results} if before else {}
    found = []
    for result in after.results:
        old = earlier.get(result.id)
        if old is None or (old.status, old.points) != (result.status, result.points):
            found.append(Changed(result, old.status if old else None, old.points if old else 0))
    return found


Show = Callable[[LabReport | None, LabReport, list[Changed]], None]  # before, after, changes


def watch(
    folder: Path,
    grade: Callable[[], LabReport],
    show: Show,
    stop: Callable[[], bool],
    failed: Callable[[SandboxError], None],
) -> None:
    """Grade now, then after every change of `folder`, until `stop()`; a grading that
    cannot run (the stack went down) is reported to `failed` and watching goes on."""
    seen = stamp(folder)  # before grading: an edit made while it grades is seen next
    report = _graded(grade, None, show, failed)
    while not stop():
        time.sleep(EVERY)
        if stamp(folder) == seen:
            continue
        seen = _settled(folder)
        report = _graded(grade, report, show, failed)


def _settled(folder: Path) -> str:
    current = stamp(folder)
    while True:
        time.sleep(SETTLE)
        again = stamp(folder)
        if again == current:
            return current
        current = again


def _graded(
    grade: Callable[[], LabReport],
    before: LabReport | None,
    show: Show,
    failed: Callable[[SandboxError], None],
) -> LabReport | None:
    try:
        report = grade()
    except SandboxError as err:
        failed(err)
        return before
    show(before, report, changes(before, report))
    return report
