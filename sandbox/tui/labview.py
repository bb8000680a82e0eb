"""The labs as the TUI shows them, over sandbox.labs (the same calls `sandbox lab ...` makes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sandbox.config import Settings
from sandbox.labs import hints, loader
from sandbox.labs import progress as progress_store
from sandbox.labs.lifecycle import Change, Switch, reset_lab, running_labs, start_lab, stop_lab
from sandbox.labs.model import CheckSpec, Lab
from sandbox.labs.runner import CheckResult, LabReport
from sandbox.labs.session import grade as grade_lab
from sandbox.snapshots import steps, store
from sandbox.stack import get_backend
from sandbox.stack.backend import Backend
from sandbox.tui.models import CheckRow, HintView, LabDetail, LabRow, SnapshotRow


def rows(settings: Settings) -> list[LabRow]:
    everything = progress_store.ProgressStore(settings.home).load()
    running = running_labs(settings)
    found = []
    for lab_id in loader.lab_ids():
        lab, _ = loader.load(lab_id)
        done = everything.get(lab_id, progress_store.LabProgress())
        found.append(LabRow(lab.id, lab.title, done.best_score, lab.total_points,
                            len(done.passed), len(lab.checks()),
                            done.started_at is not None, lab.id in running))  # fmt: skip
    return found


def detail(lab_id: str, home: Path) -> LabDetail:
    lab, _ = loader.load(lab_id)
    shown = progress_store.ProgressStore(home).get(lab.id).hints
    checks = tuple(CheckRow(c.id, c.title, s.id, s.title, c.points, len(c.hints))
                   for s, c in lab.checks())  # fmt: skip
    revealed = {c.id: tuple(h.text for h in c.hints[: shown.get(c.id, 0)]) for _, c in lab.checks()}
    return LabDetail(lab.id, lab.title, markdown(lab), checks, revealed)


def markdown(lab: Lab) -> str:
    parts = [f"# {lab.title}", f"{lab.summary.strip()}  \n**{lab.total_points} points**"]
    for number, step in enumerate(lab.steps, 1):
        text = (lab.folder / step.instructions).read_text().strip()
        parts.append(f"## Step {number}: {step.title}\n\n{_demote(text)}")
    return "\n\n".join(parts) + "\n"


def _demote(text: str) -> str:
    """A step file's own `# Title` becomes a level-3 heading under its step."""
    return "\n".join("##" + line if line.startswith("# ") else line for line in text.splitlines())


def grade(
    lab_id: str,
    step: str | None,
    listener: Callable[[str, CheckResult | None], None],
    settings: Settings,
    backend: str,
) -> LabReport:
    lab, registry = loader.load(lab_id)

    def relay(check: CheckSpec, result: CheckResult | None) -> None:
        listener(check.id, result)

    report = grade_lab(lab, registry, settings, step, relay, backend_name=backend)
    steps.mark_step_start(lab, settings, get_backend(settings, backend))  # a step finished?
    return report


def hint(lab_id: str, check_id: str | None, home: Path) -> HintView | None:
    lab, _ = loader.load(lab_id)
    revealed = hints.next_hint(lab, home, check_id)
    if revealed is None:
        return None
    return HintView(revealed.check.id, revealed.number, revealed.hint.text, revealed.hint.cost,
                    revealed.remaining)  # fmt: skip


def start(lab_id: str, settings: Settings, backend: Callable[[], Backend]) -> str:
    """`sandbox lab start`: copy the starter, point the stack at it, restart what changed."""
    lab, _ = loader.load(lab_id)
    info, switch = start_lab(lab, settings, backend)
    note = f"your workspace: {info.workspace} ({len(info.copied)} files copied)"
    if info.kept:
        note += f"; kept your edits to {', '.join(info.kept)}"
    return note + _changes(switch, "your code") + "".join(f"; {n}" for n in switch.notes)


def stop(settings: Settings, backend: Callable[[], Backend]) -> str:
    """`sandbox lab stop`: the project's own code again; the workspace is kept."""
    switch = stop_lab(settings, backend)
    if not switch.labs:
        return "no lab is running: the stack runs the project's own code"
    return f"left {', '.join(switch.labs)} (your work is kept)" + _changes(
        switch, "the project's own code"
    )


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


def reset(lab_id: str, settings: Settings, backend: Callable[[], Backend]) -> None:
    lab, _ = loader.load(lab_id)
    reset_lab(lab, settings, backend)


def _changes(switch: Switch, whose: str) -> str:
    notes = {
        Change.NOT_RUNNING: "the stack is not running: start it (u on the Stack screen)",
        Change.APP_RESTARTED: f"the app was restarted to run {whose}",
        Change.LAMBDA_REDEPLOYED: f"the Lambda was redeployed from {whose}",
        Change.SERVICES_STARTED: "the lab's own services are running",
        Change.SERVICES_STOPPED: "the lab's own services were stopped",
        Change.SERVICES_NOT_RUN: "the lab's own services need the embedded backend",
    }
    return "".join(f"; {notes[change]}" for change in switch.changes)
