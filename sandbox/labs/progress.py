"""Progress kept in the state dir (`<home>/labs/progress.json`), surviving restarts."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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

    def save(self, lab_id: str, progress: LabProgress) -> None:
        everything = self.load()
        everything[lab_id] = progress
        self._write({lab: asdict(p) for lab, p in everything.items()})

    def forget(self, lab_id: str) -> None:
        everything = self.load()
        everything.pop(lab_id, None)
        self._write({lab: asdict(p) for lab, p in everything.items()})

    def _write(self, data: dict[str, Any]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.file.parent, suffix=".json")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
        os.replace(tmp, self.file)


def record_check(progress: LabProgress, score: int, max_score: int, passed: list[str]) -> None:
    progress.last_score, progress.max_score = score, max_score
    progress.best_score = max(progress.best_score, score)
    progress.passed = sorted(set(progress.passed) | set(passed))
    progress.last_checked_at = time.time()
