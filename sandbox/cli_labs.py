"""`sandbox lab ...`: list, show, start, stop, check, verify, hint, status, undo, reset,
validate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from sandbox import cli_lab_authoring
from sandbox.config import Settings
from sandbox.errors import SandboxError
from sandbox.labs import engine, hints, loader, reports
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import Registry
from sandbox.labs.lifecycle import Change
from sandbox.labs.model import Lab
from sandbox.labs.runner import LabReport
from sandbox.labs.session import grade
from sandbox.labs.validate import describe, validate
from sandbox.labs.verify import read_report, verify
from sandbox.labs.watch import Changed
from sandbox.labs.watch import watch as watch_workspace
from sandbox.snapshots import steps
from sandbox.stack import resolve_backend
from sandbox.stack.backend import Backend


@click.group("lab")
def lab_group() -> None:
    """Labs from the course: start one, work in workspace/<id>/, check your progress."""


@lab_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_command(as_json: bool) -> None:
    """Every lab with its title and your score."""
    rows = engine.lab_rows(Settings.from_env())
    if as_json:
        keys = ("id", "title", "score", "max_score", "started")
        click.echo(json.dumps([{key: getattr(row, key) for key in keys} for row in rows], indent=2))
        return
    for row in rows:
        click.echo(f"{row.id:<28} {row.score:>3}/{row.max_score:<3}  {row.title}")


@lab_group.command("show")
@click.argument("lab_id")
def show_command(lab_id: str) -> None:
    """The lab's summary, steps, instructions and checks (Markdown)."""
    lab, _ = loader.load(lab_id)
    click.echo(engine.instructions(lab, with_checks=True))


def _backend_factory(ctx: click.Context) -> Any:
    name = (ctx.obj or {}).get("backend")

    def make() -> Backend:
        return resolve_backend(Settings.from_env(), name)

    return make


@lab_group.command("start")
@click.argument("lab_id")
@click.option("--force", is_flag=True, help="Overwrite your edited files with the starter.")
@click.pass_context
def start_command(ctx: click.Context, lab_id: str, force: bool) -> None:
    """Copy the starter into workspace/LAB_ID/ and point the stack at your code."""
    started = engine.start(lab_id, Settings.from_env(), _backend_factory(ctx), force)
    for note in engine.start_notes(started, " (--force replaces them)"):
        click.echo(note)
    _say_changes(started.changes, "your code")
    click.echo(f"Next: read `sandbox lab show {lab_id}`, edit, then `sandbox lab check {lab_id}`")


@lab_group.command("stop")
@click.argument("lab_id", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def stop_command(ctx: click.Context, lab_id: str | None, as_json: bool) -> None:
    """Leave the lab (LAB_ID, or whichever runs): the stack runs the project's own code
    again; your workspace and progress are kept."""
    switch = engine.leave(Settings.from_env(), _backend_factory(ctx), lab_id)
    if as_json:
        click.echo(json.dumps({"left": switch.labs, "changes": [str(c) for c in switch.changes]}))
        return
    if not switch.labs:
        which = f"{lab_id} is not running" if lab_id else "No lab is running"
        click.echo(f"{which}: the stack runs the project's own code.")
        return
    for left in switch.labs:
        click.echo(f"Left {left}: your work stays in {ws.workspace_of(loader.load(left)[0])}; "
                   f"`sandbox lab start {left}` goes back to it.")  # fmt: skip
    _say_changes(switch.changes, "the project's own code")


def _say_changes(changes: list[Change], whose: str) -> None:
    for note in engine.change_notes(changes, whose, "`sandbox up`"):
        click.echo(note)


@lab_group.command("check")
@click.argument("lab_id")
@click.argument("step", required=False)
@click.option("--format", "fmt", type=click.Choice(reports.FORMATS), default="text")
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the JSON report (signed with SANDBOX_GRADER_KEY) to this file.",
)
@click.option("--watch", is_flag=True, help="Grade again whenever a workspace file changes.")
@click.option(
    "--github-output",
    envvar="GITHUB_OUTPUT",
    hidden=True,
    type=click.Path(dir_okay=False, path_type=Path),
)  # set by GitHub Actions
@click.pass_context
def check_command(
    ctx: click.Context,
    lab_id: str,
    step: str | None,
    fmt: str,
    save: Path | None,
    watch: bool,
    github_output: Path | None,
) -> None:
    """Grade the lab (or one STEP). Exit 0: all passed, 1: some failed, 2: could not grade.
    With --format github inside GitHub Actions, the result also goes to the step's output
    `result` for GitHub Classroom's reporter."""
    settings = Settings.from_env()
    if watch and fmt != "text":
        raise click.UsageError("--watch shows text: leave out --format")
    try:
        lab, registry = own_lab(lab_id)
        if step is not None and step not in [s.id for s in lab.steps]:
            raise SandboxError(
                f"{lab.id} has no step {step!r}",
                f"use one of: {', '.join(s.id for s in lab.steps)}",
            )
        if watch:
            _watch(ctx, lab, registry, settings, step)
        listener = _live_printer() if fmt == "text" and sys.stderr.isatty() else None
        backend = (ctx.obj or {}).get("backend")
        report = grade(lab, registry, settings, step, listener, backend_name=backend,
                       on_wait=_say_waiting)  # fmt: skip
    except SandboxError as err:
        click.echo(f"error: could not grade: {err.render()}", err=True)
        sys.exit(2)
    click.echo(reports.render(report, fmt, settings.grader_key))
    if save is not None:
        save.write_text(reports.render(report, "json", settings.grader_key) + "\n")
    if fmt == "github" and github_output is not None:
        with github_output.open("a") as handle:
            handle.write(reports.github_output(report))
    _undo_point(ctx, lab)
    sys.exit(report.exit_code)


def _say_waiting(message: str) -> None:
    click.echo(f"Note: {message}", err=True)


def _undo_point(ctx: click.Context, lab: Any) -> None:
    """A check that finished a step starts the next one: save its undo point."""
    note = steps.mark_step_start(lab, Settings.from_env(), _backend_factory(ctx)())
    if note:
        click.echo(f"Note: {note}", err=True)


def _watch(
    ctx: click.Context, lab: Lab, registry: Registry, settings: Settings, step: str | None
) -> None:
    """Grade now and after every change of the workspace, until Ctrl-C."""
    folder = ws.workspace_of(lab)
    backend = (ctx.obj or {}).get("backend")
    click.echo(f"Watching {folder}: save a file to grade again (Ctrl-C stops).", err=True)

    def show(before: LabReport | None, after: LabReport, changed: list[Changed]) -> None:
        click.echo(reports.changes_text(before, after, changed))

    def failed(err: SandboxError) -> None:
        click.echo(f"error: could not grade: {err.render()}", err=True)

    def graded() -> LabReport:
        report = grade(lab, registry, settings, step, backend_name=backend, on_wait=_say_waiting)
        _undo_point(ctx, lab)
        return report

    try:
        watch_workspace(folder, graded, show, lambda: False, failed)
    except KeyboardInterrupt:
        sys.exit(0)


def own_lab(lab_id: str) -> tuple[Lab, Registry]:
    """A lab of the sandbox's own labs folder, by id: never a folder given as a path (a
    learner's copy could bring checks of its own)."""
    if lab_id not in loader.lab_ids():
        known = ", ".join(loader.lab_ids()) or "none"
        raise SandboxError(
            f"no lab {lab_id!r} in {loader.labs_root()}", f"give a lab id, one of: {known}"
        )
    return loader.load(lab_id)


@lab_group.command("verify")
@click.argument("report_file", metavar="REPORT", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def verify_command(report_file: Path, as_json: bool) -> None:
    """Check a JSON report: the files that graded it are this sandbox's (sha256), its score
    adds up, and with SANDBOX_GRADER_KEY its signature holds. Exit 0: verified, 1: not."""
    verdict = verify(read_report(report_file), Settings.from_env().grader_key)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "lab": verdict.lab_id,
                    "verified": verdict.ok,
                    "signed": verdict.signed,
                    "problems": verdict.problems,
                }
            )
        )
        sys.exit(0 if verdict.ok else 1)
    if verdict.ok:
        how = "signature and sha256 match" if verdict.signed else "sha256 match (unsigned)"
        click.echo(f"{report_file}: verified ({verdict.lab_id}, {how})")
        sys.exit(0)
    click.echo(f"{report_file}: NOT verified", err=True)
    for problem in verdict.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


def _live_printer() -> Any:
    def show(check: Any, result: Any) -> None:
        if result is None:
            click.echo(f"  ...   {check.id}", err=True)

    return show


@lab_group.command("hint")
@click.argument("lab_id")
@click.argument("check_id", required=False)
def hint_command(lab_id: str, check_id: str | None) -> None:
    """Reveal the next hint (for CHECK_ID, or the first check not passed yet)."""
    lab, _ = loader.load(lab_id)
    revealed = hints.next_hint(lab, Settings.from_env().home, check_id)
    if revealed is None:
        click.echo("No more hints here.")
        return
    cost = f" (costs {revealed.hint.cost} point(s) on this check)" if revealed.hint.cost else ""
    click.echo(f"[{revealed.check.id}] hint {revealed.number}{cost}:\n{revealed.hint.text}")
    if revealed.remaining:
        click.echo(f"({revealed.remaining} more hint(s) for this check)")


@lab_group.command("status")
@click.option("--json", "as_json", is_flag=True)
def status_command(as_json: bool) -> None:
    """Progress and score of every lab (kept in the state dir)."""
    rows = engine.lab_rows(Settings.from_env())
    if as_json:
        click.echo(json.dumps({row.id: _status(row) for row in rows}, indent=2))
        return
    running = [row.id for row in rows if row.running]
    runs = f"your {', '.join(running)} workspace" if running else "the project's own code"
    click.echo(f"The stack runs {runs}.")
    for row in rows:
        click.echo(
            f"{row.id:<28} best {row.score:>3}/{row.max_score:<3} "
            f"checks {row.checks_passed}/{row.checks}  hints {row.hints_used}"
            + ("  (running)" if row.running else "")
        )


def _status(row: engine.LabRow) -> dict[str, Any]:
    return {"title": row.title, "best_score": row.score, "last_score": row.last_score,
            "max_score": row.max_score, "checks_passed": row.checks_passed,
            "checks": row.checks, "hints_used": row.hints_used, "running": row.running}  # fmt: skip


@lab_group.command("reset")
@click.argument("lab_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def reset_command(ctx: click.Context, lab_id: str, yes: bool) -> None:
    """Delete your workspace copy and your progress for the lab (leaving it first if the
    stack runs it)."""
    lab, _ = loader.load(lab_id)
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("reset deletes your work; run it with --yes to confirm")
        click.confirm(f"Delete {ws.workspace_of(lab)} and your progress?", abort=True)
    switch = engine.reset(lab.id, Settings.from_env(), _backend_factory(ctx))
    _say_changes(switch.changes, "the project's own code")
    click.echo(f"{lab.id} reset; `sandbox lab start {lab.id}` begins again.")


@lab_group.command("undo")
@click.argument("lab_id", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def undo_command(ctx: click.Context, lab_id: str | None, as_json: bool) -> None:
    """Put the stack's data back as it was when you started your current step (LAB_ID, or
    the lab you worked on last). Your files are not touched; the undo can itself be undone."""
    undone = steps.undo(Settings.from_env(), _backend_factory(ctx)(), lab_id)
    loaded = undone.loaded
    if as_json:
        answer = {"lab": undone.lab_id, "step": undone.step.id, "seconds": round(loaded.seconds, 3)}
        click.echo(json.dumps({**answer, "before_load": loaded.before_load, "notes": loaded.notes}))
        return
    click.echo(
        f"{undone.lab_id}: the data is back as it was at the start of step "
        f"{undone.step.id} ({undone.step.title}). Your files were not changed."
    )
    for note in loaded.notes:
        click.echo(f"Note: {note}")
    if loaded.before_load:
        click.echo(f"Changed your mind? `sandbox snapshot load {loaded.before_load}`")


@lab_group.command("validate")
@click.argument("lab_id", required=False)
@click.option("--all", "all_labs", is_flag=True, help="Validate every lab.")
@click.option("--json", "as_json", is_flag=True)
def validate_command(lab_id: str | None, all_labs: bool, as_json: bool) -> None:
    """For instructors: the solution passes every check; the starter fails the marked ones.
    Each check is reported on both sides, and those that cannot tell them apart are named."""
    ids = loader.lab_ids() if all_labs else [lab_id] if lab_id else []
    if not ids:
        raise click.UsageError("give a LAB_ID or --all")
    outcomes = []
    for one in ids:
        try:
            lab, registry = loader.load(one)
            outcome = validate(lab, registry, lambda m: click.echo(m, err=True))
        except SandboxError as err:
            click.echo(f"{one}: could not validate: {err.render()}", err=True)
            sys.exit(2)
        outcomes.append(outcome)
        if not as_json:
            click.echo("\n".join(describe(outcome)))
    if as_json:
        click.echo(json.dumps([o.to_dict() for o in outcomes], indent=2))
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


cli_lab_authoring.extend(lab_group)  # lab new, lab kinds (for instructors, in their own file)
