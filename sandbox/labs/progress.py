"""Progress kept in the state dir (`<home>/labs/progress.json`), surviving restarts.

Every change is a locked read-modify-write (`update`): a hint revealed in the TUI while a
`--watch` grader runs is kept by both, not overwritten by whichever writes last.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sandbox import atomicfile, processlock
from sandbox.errors import StateError


@dataclass
class LabProgress:
    started_at: float | None = None
    hints: dict[str, int] = field(default_factory=dict)  # check id -> hints revealed
    hint_cost: dict[str, int] = field(default_factory=dict)  # check id -> points spent
    passed: list[str] = field(default_factory=list)  # check ids that passed at least once
    best_score: int = 0
    last_score: int = 0
    max_score: int = 0
    last_checked_at: float | None = None


class ProgressStore:
    def __init__(self, home: Path) -> None:
        self.file = home / "labs" / "progress.json"

    def load(self) -> dict[str, LabProgress]:
        try:
            raw = json.loads(self.file.read_text())
            return {lab: LabProgress(**entry) for lab, entry in raw.items()}
        except FileNotFoundError:
            return {}
        except (ValueError, TypeError) as err:
            raise StateError(
                f"the progress file {self.file} is corrupt: {err}",
                f"delete {self.file} to start over (scores are lost)",
            ) from err

    def get(self, lab_id: str) -> LabProgress:
        return self.load().get(lab_id, LabProgress())

    @contextlib.contextmanager
    def transaction(self) -> Iterator[dict[str, LabProgress]]:
        """Every lab's progress, written back when the block ends (not when it raises);
        other writers wait meanwhile, so keep the block short."""
        with processlock.locked(self.file):
            everything = self.load()
            yield everything
            self._write(everything)

    @contextlib.contextmanager
    def update(self, lab_id: str) -> Iterator[LabProgress]:
        with self.transaction() as everything:
            yield everything.setdefault(lab_id, LabProgress())

    def save(self, lab_id: str, progress: LabProgress) -> None:
        """Replace the lab's progress with `progress` (to change it, use `update`)."""
        with self.transaction() as everything:
            everything[lab_id] = progress

    def forget(self, lab_id: str) -> None:
        with self.transaction() as everything:
            everything.pop(lab_id, None)

    def _write(self, everything: dict[str, LabProgress]) -> None:
        data: dict[str, Any] = {lab: asdict(p) for lab, p in everything.items()}
        atomicfile.write_text(self.file, json.dumps(data, indent=2))


def record_check(progress: LabProgress, score: int, max_score: int, passed: list[str]) -> None:
    progress.last_score, progress.max_score = score, max_score
    progress.best_score = max(progress.best_score, score)
    progress.passed = sorted(set(progress.passed) | set(passed))
    progress.last_checked_at = time.time()
