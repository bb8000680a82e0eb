"""The labs as the TUI shows them, over sandbox.labs (the same calls `sandbox lab ...` makes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sandbox.config import Settings
from sandbox.labs import hints, loader
from sandbox.labs import progress as progress_store
from sandbox.labs import workspace as ws
from sandbox.labs.model import CheckSpec, Lab
from sandbox.labs.runner import CheckResult, LabReport
from sandbox.labs.session import grade as grade_lab
from sandbox.labs.session import start_lab
from sandbox.stack.backend import Backend
from sandbox.tui.models import CheckRow, HintView, LabDetail, LabRow


def rows(home: Path) -> list[LabRow]:
    everything = progress_store.ProgressStore(home).load()
    found = []
    for lab_id in loader.lab_ids():
        lab, _ = loader.load(lab_id)
        done = everything.get(lab_id, progress_store.LabProgress())
        found.append(LabRow(lab.id, lab.title, done.best_score, lab.total_points,
                            len(done.passed), len(lab.checks()),
                            done.started_at is not None))  # fmt: skip
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

    return grade_lab(lab, registry, settings, step, relay, backend_name=backend)


def hint(lab_id: str, check_id: str | None, home: Path) -> HintView | None:
    lab, _ = loader.load(lab_id)
    revealed = hints.next_hint(lab, home, check_id)
    if revealed is None:
        return None
    return HintView(revealed.check.id, revealed.number, revealed.hint.text, revealed.hint.cost,
                    revealed.remaining)  # fmt: skip


def start(lab_id: str, settings: Settings, backend: Callable[[], Backend]) -> str:
    """`sandbox lab start`: copy the starter, point the stack at it, restart a running stack."""
    lab, _ = loader.load(lab_id)
    info, stack = start_lab(lab, settings, backend)
    note = f"your workspace: {info.workspace} ({len(info.copied)} files copied)"
    if info.kept:
        note += f"; kept your edits to {', '.join(info.kept)}"
    return note + RESTART_NOTES[stack]


RESTART_NOTES = {
    "not-needed": "",
    "not-running": "; the stack is not running: start it (u on the Stack screen) to run your code",
    "restarted": "; the stack was restarted to run your code",
}


def reset(lab_id: str, home: Path) -> None:
    lab, _ = loader.load(lab_id)
    ws.reset(lab, home)
    progress_store.ProgressStore(home).forget(lab.id)
