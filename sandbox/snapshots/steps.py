"""Snapshots for labs: a lab's fixture (state it starts from) and per-step undo.

The current step of a lab is its first step with a check that has not passed yet (the last
step once all have). When a learner starts a step (`lab start`, or a check that finishes the
step before), the stack's state is saved as `step-<lab>-<step>`, once per step; `lab undo`
loads it (after a before-load snapshot, so the undo itself can be undone). The learner's
files are never touched: only the services' data goes back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sandbox import atomicfile
from sandbox.config import Settings
from sandbox.errors import SandboxError, SnapshotError
from sandbox.labs import loader
from sandbox.labs import progress as progress_store
from sandbox.labs.model import Lab, Step
from sandbox.snapshots import engine, store
from sandbox.snapshots.stackview import NEEDED
from sandbox.stack.backend import Backend
from sandbox.stack.model import State

FIXTURES_FILE = "labs/fixtures.json"  # in the state dir: lab id -> sha256 of the fixture loaded


@dataclass(frozen=True)
class Undone:
    lab_id: str
    step: Step
    loaded: engine.Loaded


def current_step(lab: Lab, home: Path) -> Step:
    passed = set(progress_store.ProgressStore(home).get(lab.id).passed)
    return next((s for s in lab.steps if any(c.id not in passed for c in s.checks)), lab.steps[-1])


def step_name(lab: Lab, step: Step) -> str:
    return f"{store.STEP}-{lab.id}-{step.id}"


def on_lab_start(lab: Lab, settings: Settings, backend: Backend, force: bool) -> list[str]:
    """At `lab start`: its fixture (the first time, or with force), then the undo point of
    the step the learner starts on. Notes for the learner; a failure is a note too (the lab
    itself has started)."""
    if not _snapshots_possible(backend):
        return (
            [
                "the stack is not running: the lab's starting data loads at the next "
                "`sandbox lab start` once `sandbox up` has started it"
            ]
            if lab.fixture
            else []
        )
    notes = []
    try:
        notes.append(load_fixture(lab, settings, backend, force))
    except SandboxError as err:
        notes.append(f"the lab's starting data was not loaded: {err.message}")
    notes.append(mark_step_start(lab, settings, backend))
    return [note for note in notes if note]


def mark_step_start(lab: Lab, settings: Settings, backend: Backend) -> str | None:
    """Save the start of the lab's current step, unless it was saved already; a note for the
    learner, or None when nothing was saved (or the stack is not the embedded one, up)."""
    step = current_step(lab, settings.home)
    name = step_name(lab, step)
    snapshots = store.Store(settings)
    if snapshots.path(name).exists() or not _snapshots_possible(backend):
        return None
    try:
        engine.save(settings, backend, name, store.STEP, f"{lab.id}: start of step {step.id}")
    except SandboxError as err:  # no undo point is a pity, not a reason to stop the learner
        return f"no undo point for step {step.id}: {err.message}"
    return f"undo point saved for step {step.id} (`sandbox lab undo` goes back to it)"


def _snapshots_possible(backend: Backend) -> bool:
    if backend.name != "embedded":
        return False
    services = backend.status().services
    return all(services[name].state is State.HEALTHY for name in NEEDED)


def undo(settings: Settings, backend: Backend, lab_id: str | None) -> Undone:
    lab = loader.load(lab_id or _latest_lab(settings))[0]
    step = current_step(lab, settings.home)
    snapshots = store.Store(settings)
    path = snapshots.path(step_name(lab, step))
    if not path.is_file():
        raise SnapshotError(
            f"there is no undo point for step {step.id} of {lab.id}",
            "one is saved when a step starts (`sandbox lab start`, or a check that finishes "
            "the step before) while the stack runs",
        )
    return Undone(lab.id, step, engine.load(settings, backend, path))


def _latest_lab(settings: Settings) -> str:
    """The lab of the newest undo point."""
    names = [
        e.name
        for e in store.Store(settings).entries()
        if e.manifest and e.manifest.kind == store.STEP
    ]
    for name in reversed(names):
        for lab_id in loader.lab_ids():
            if name.startswith(f"{store.STEP}-{lab_id}-"):
                return lab_id
    raise SnapshotError("no lab has an undo point yet", "name the lab: `sandbox lab undo LAB`")


def forget_lab(lab: Lab, settings: Settings) -> None:
    """For `lab reset`: its undo points and its fixture mark belong to the attempt reset."""
    snapshots = store.Store(settings)
    for step in lab.steps:
        snapshots.path(step_name(lab, step)).unlink(missing_ok=True)
    marks = _fixture_marks(settings.home)
    if marks.pop(lab.id, None) is not None:
        _write_marks(settings.home, marks)


# -- fixtures -------------------------------------------------------------------------------


def fixture_path(lab: Lab) -> Path | None:
    if lab.fixture is None:
        return None
    path = lab.folder / lab.fixture
    if not path.is_file():
        raise SnapshotError(
            f"{lab.id}: its fixture {path} is missing",
            "the lab's author exports it with `sandbox snapshot export`",
        )
    return path


def load_fixture(
    lab: Lab, settings: Settings, backend: Backend, force: bool = False, safety: bool = True
) -> str | None:
    """Load the lab's fixture unless this state dir has it already; a note, or None.
    `safety`: save what is there first (not for `lab validate`'s throwaway stacks)."""
    path = fixture_path(lab)
    if path is None:
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    marks = _fixture_marks(settings.home)
    if marks.get(lab.id) == digest and not force:
        return None
    loaded = engine.load(settings, backend, path, safety=safety)
    marks[lab.id] = digest
    _write_marks(settings.home, marks)
    before = loaded.before_load
    undo = f" (`sandbox snapshot load {before}` undoes it)" if before else ""
    return f"loaded the lab's starting data from {path.name}{undo}"


def _fixture_marks(home: Path) -> dict[str, str]:
    try:
        raw = json.loads((home / FIXTURES_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _write_marks(home: Path, marks: dict[str, str]) -> None:
    atomicfile.write_text(home / FIXTURES_FILE, json.dumps(marks, indent=2))


# -- a load while a lab runs ----------------------------------------------------------------


def lab_notes(settings: Settings) -> list[str]:
    """What a load did not change, for a learner in the middle of a lab."""
    from sandbox.labs.lifecycle import running_labs  # lifecycle imports this module

    return [
        f"{lab_id} is running: your files in its workspace are unchanged, the stack still runs "
        "your code, and your lab progress was kept (merged: no score lowered)"
        for lab_id in running_labs(settings)
    ]
