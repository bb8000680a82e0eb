"""The labs' own state in a snapshot: the progress file (`<home>/labs/progress.json`).

Loading merges it with the progress there is, never lowering anything: a score, a check
that passed, a hint already revealed (and its cost) stay as they are. Going back in the
data must not take back what the learner earned, nor hand back points a hint cost. The
learner's files (workspace/) are never in a snapshot: a load does not touch their code.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

from sandbox.labs.progress import LabProgress, ProgressStore

FOLDER = "labs"
PROGRESS = "progress.json"


def save(home: Path, staging: Path) -> None:
    store = ProgressStore(home)
    if store.file.is_file():
        (staging / FOLDER).mkdir(parents=True, exist_ok=True)
        shutil.copy2(store.file, staging / FOLDER / PROGRESS)


def restore(home: Path, unpacked: Path) -> None:
    saved = unpacked / FOLDER / PROGRESS
    if not saved.is_file():
        return
    with ProgressStore(home).transaction() as current:
        for lab_id, entry in json.loads(saved.read_text()).items():
            current[lab_id] = merged(current.get(lab_id), LabProgress(**entry))


def merged(mine: LabProgress | None, theirs: LabProgress) -> LabProgress:
    """The best of both: what one of them earned or revealed, the other keeps."""
    if mine is None:
        return theirs
    result = LabProgress(**asdict(mine))
    result.started_at = min((t for t in (mine.started_at, theirs.started_at) if t), default=None)
    result.hints = _max_each(mine.hints, theirs.hints)
    result.hint_cost = _max_each(mine.hint_cost, theirs.hint_cost)
    result.passed = sorted(set(mine.passed) | set(theirs.passed))
    result.best_score = max(mine.best_score, theirs.best_score)
    return result


def _max_each(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {key: max(a.get(key, 0), b.get(key, 0)) for key in sorted(set(a) | set(b))}
