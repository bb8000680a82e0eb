"""The labs as both interfaces show them: one engine for `sandbox lab ...` and the TUI.

Rows (each lab with its progress), the instructions document (summary and steps as
Markdown), and starting, leaving and resetting a lab with what happened said as Enums
(`Began`, lifecycle's `Change`); each interface only words them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sandbox.config import Settings
from sandbox.labs import loader
from sandbox.labs import progress as progress_store
from sandbox.labs import workspace as ws
from sandbox.labs.lifecycle import (
    BackendFactory,
    Change,
    Switch,
    reset_lab,
    running_labs,
    start_lab,
    stop_lab,
)
from sandbox.labs.model import Lab


@dataclass(frozen=True)
class LabRow:
    id: str
    title: str
    score: int  # the best score so far
    max_score: int
    checks_passed: int  # checks passed at least once
    checks: int
    started: bool
    running: bool = False  # the stack runs this lab's workspace code
    last_score: int = 0
    hints_used: int = 0


def lab_rows(settings: Settings) -> list[LabRow]:
    """Every lab with the learner's progress, in id order."""
    everything = progress_store.ProgressStore(settings.home).load()
    running = running_labs(settings)
    return [_row(loader.load(lab_id)[0], everything, running) for lab_id in loader.lab_ids()]


def _row(lab: Lab, everything: dict[str, progress_store.LabProgress], running: list[str]) -> LabRow:
    done = everything.get(lab.id, progress_store.LabProgress())
    return LabRow(
        id=lab.id,
        title=lab.title,
        score=done.best_score,
        max_score=lab.total_points,
        checks_passed=len(done.passed),
        checks=len(lab.checks()),
        started=done.started_at is not None,
        running=lab.id in running,
        last_score=done.last_score,
        hints_used=sum(done.hints.values()),
    )


def instructions(lab: Lab, with_checks: bool = False) -> str:
    """The lab's summary and each step's instructions as one Markdown document (a step
    file's own `# Title` becomes a level-3 heading); `with_checks` lists each step's checks."""
    parts = [f"# {lab.title}", f"{lab.summary.strip()}  \n**{lab.total_points} points**"]
    for number, step in enumerate(lab.steps, 1):
        text = (lab.folder / step.instructions).read_text().strip()
        parts.append(f"## Step {number}: {step.title}\n\n{_demote(text)}")
        if with_checks:
            parts.append(
                "\n".join(f"- [{c.id}] {c.title} ({c.points} points)" for c in step.checks)
            )
    return "\n\n".join(parts) + "\n"


def _demote(text: str) -> str:
    return "\n".join("##" + line if line.startswith("# ") else line for line in text.splitlines())


class Began(StrEnum):
    """What starting a lab did to the learner's workspace."""

    FRESH = "fresh"  # no workspace yet: the starter was copied
    RESUMED = "resumed"  # the workspace was there: the starter's files the learner lacked came back
    KEPT_EDITS = "kept edits"  # as RESUMED, and the learner's edited files were left alone


@dataclass(frozen=True)
class LabStart:
    lab_id: str
    workspace: Path
    began: Began
    copied: int  # files copied from the starter
    kept: list[str] = field(default_factory=list)  # the learner's edits, left alone
    changes: list[Change] = field(default_factory=list)  # what the running stack did
    notes: list[str] = field(default_factory=list)  # starting data loaded, undo point saved


def start(
    lab_id: str, settings: Settings, backend: BackendFactory, force: bool = False
) -> LabStart:
    """Copy the starter into the workspace and make a running stack run the learner's code."""
    lab, _ = loader.load(lab_id)
    existed = ws.workspace_of(lab).is_dir()
    info, switch = start_lab(lab, settings, backend, force)
    began = Began.KEPT_EDITS if info.kept else Began.RESUMED if existed else Began.FRESH
    return LabStart(
        lab.id, info.workspace, began, len(info.copied), info.kept, switch.changes, switch.notes
    )


def leave(settings: Settings, backend: BackendFactory, lab_id: str | None = None) -> Switch:
    """The stack runs the project's own code again (for `lab_id`, or whichever lab runs)."""
    return stop_lab(settings, backend, loader.load(lab_id)[0] if lab_id else None)


def reset(lab_id: str, settings: Settings, backend: BackendFactory) -> Switch:
    """Leave the lab if the stack runs it, then delete the workspace and the progress."""
    return reset_lab(loader.load(lab_id)[0], settings, backend)


def change_notes(changes: list[Change], whose: str, start_hint: str) -> list[str]:
    """What the stack did, one sentence each; `start_hint` says how to start the stack here."""
    words = {
        Change.NOT_RUNNING: f"The stack is not running: {start_hint} starts it with {whose}.",
        Change.APP_RESTARTED: f"The app was restarted so it runs {whose}.",
        Change.LAMBDA_REDEPLOYED: f"The Lambda was redeployed from {whose}.",
        Change.SERVICES_STARTED: "The lab's own services are running: `sandbox status` lists them.",
        Change.SERVICES_STOPPED: "The lab's own services were stopped.",
        Change.SERVICES_NOT_RUN: "The lab's own services run only on the embedded backend: "
        "`sandbox --backend embedded up`.",
    }
    return [words[change] for change in changes]


def start_notes(started: LabStart, force_hint: str = "") -> list[str]:
    """How the start went for the learner's files, one sentence each."""
    notes = [f"Your workspace: {started.workspace} ({started.copied} files copied)."]
    if started.began is Began.KEPT_EDITS:
        notes.append(f"Kept your edits to: {', '.join(started.kept)}{force_hint}.")
    return notes + [f"Note: {note}" for note in started.notes]
