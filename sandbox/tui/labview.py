"""The labs as the TUI shows them: the lab engine (sandbox/labs/engine.py, the same one
`sandbox lab ...` uses) plus what only a screen needs (check rows, revealed hints)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sandbox.config import Settings
from sandbox.labs import engine, hints, loader, watch
from sandbox.labs import progress as progress_store
from sandbox.labs import workspace as ws
from sandbox.labs.lifecycle import Switch
from sandbox.labs.model import CheckSpec
from sandbox.labs.runner import CheckResult, LabReport
from sandbox.labs.session import grade as grade_lab
from sandbox.labs.stamp import stamp
from sandbox.snapshots import steps, store
from sandbox.stack import get_backend
from sandbox.stack.backend import Backend
from sandbox.tui.models import CheckRow, HintView, LabDetail, SnapshotRow

START_HINT = "u on the Stack screen"  # how the TUI starts the stack, for the engine's notes


def detail(lab_id: str, home: Path) -> LabDetail:
    lab, _ = loader.load(lab_id)
    shown = progress_store.ProgressStore(home).get(lab.id).hints
    checks = tuple(CheckRow(c.id, c.title, s.id, s.title, c.points, len(c.hints))
                   for s, c in lab.checks())  # fmt: skip
    revealed = {c.id: tuple(h.text for h in c.hints[: shown.get(c.id, 0)]) for _, c in lab.checks()}
    return LabDetail(lab.id, lab.title, engine.instructions(lab), checks, revealed)


def grade(
    lab_id: str,
    step: str | None,
    listener: Callable[[str, CheckResult | None], None],
    settings: Settings,
    backend: str,
    on_wait: Callable[[str], None] | None = None,
) -> LabReport:
    lab, registry = loader.load(lab_id)

    def relay(check: CheckSpec, result: CheckResult | None) -> None:
        listener(check.id, result)

    report = grade_lab(lab, registry, settings, step, relay, backend_name=backend,
                       on_wait=on_wait)  # fmt: skip
    steps.mark_step_start(lab, settings, get_backend(settings, backend))  # a step finished?
    return report


def hint(lab_id: str, check_id: str | None, home: Path) -> HintView | None:
    lab, _ = loader.load(lab_id)
    revealed = hints.next_hint(lab, home, check_id)
    if revealed is None:
        return None
    return HintView(revealed.check.id, revealed.number, revealed.hint.text, revealed.hint.cost,
                    revealed.remaining)  # fmt: skip


def workspace_stamp(lab_id: str) -> str:
    """Changes when any file of the lab's workspace changes (the watch toggle polls it)."""
    return stamp(ws.workspace_of(loader.load(lab_id)[0]))


def changes_note(before: LabReport | None, after: LabReport) -> str:
    """What a re-grading changed, one line: "ready failed -> passed; score 85/100 (+15)"."""
    changed = watch.changes(before, after)
    score = f"score {after.score}/{after.max_score}"
    if before is None or not changed:
        return f"no check changed: {score}" if before is not None else score
    parts = [f"{c.id} {c.before or 'new'} -> {c.result.status}" for c in changed]
    return "; ".join([*parts, f"{score} ({after.score - before.score:+d})"])


def started_note(started: engine.LabStart) -> str:
    """One line for a notification: the engine's sentences, joined."""
    return " ".join(
        engine.start_notes(started) + engine.change_notes(started.changes, "your code", START_HINT)
    )


def left_note(switch: Switch) -> str:
    if not switch.labs:
        return "No lab is running: the stack runs the project's own code."
    notes = engine.change_notes(switch.changes, "the project's own code", START_HINT)
    return " ".join([f"Left {', '.join(switch.labs)} (your work is kept).", *notes])


def undo(lab_id: str, settings: Settings, backend: Backend) -> str:
    """`sandbox lab undo`: the data as it was when the current step started."""
    undone = steps.undo(settings, backend, lab_id)
    before = undone.loaded.before_load
    note = f"{lab_id}: the data is back as at the start of step {undone.step.id}; your files "
    note += "were not changed" + (
        f" (`sandbox snapshot load {before}` undoes this)" if before else ""
    )
    return note + "".join(f"; {n}" for n in undone.loaded.notes)


def snapshot_rows(settings: Settings) -> list[SnapshotRow]:
    rows = []
    for entry in store.Store(settings).entries():
        m = entry.manifest
        if m is None:
            rows.append(
                SnapshotRow(entry.name, entry.created, entry.size, "damaged", entry.problem)
            )
            continue
        made = f"sandbox {m.versions.get('sandbox', '?')}, {m.versions.get('ministack', '?')}"
        rows.append(SnapshotRow(entry.name, m.created, entry.size, m.kind, made, m.note))
    return rows
