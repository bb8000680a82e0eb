"""Grading a lab on the running stack: make the stack run the learner's current code,
build the checks' context, run them, and record progress."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from sandbox import processlock
from sandbox.aws.clients import is_real_aws
from sandbox.aws.deploy import deploy, function_exists
from sandbox.config import Settings
from sandbox.errors import SandboxError
from sandbox.labs import progress as progress_store
from sandbox.labs import services as lab_services
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import (
    GRADING_VARIABLE,
    Capability,
    CheckContext,
    Registry,
    Status,
    limit,
)
from sandbox.labs.model import Lab
from sandbox.labs.provenance import stamp
from sandbox.labs.runner import LabReport, Listener, run_lab
from sandbox.stack import resolve_backend
from sandbox.stack.backend import Backend
from sandbox.stack.model import State

FINGERPRINTS = "labs/fingerprints"  # per service: the code it ran when last graded
GRADING_LOCK = "labs/grading.lock"
GRADING_WAIT_S = 300.0  # a first grading deploys and starts cold workers: tens of seconds


def context(lab: Lab, backend: Backend, workspace: Path, settings: Settings) -> CheckContext:
    status = backend.status()
    endpoints = {name: s.url for name, s in status.services.items() if s.state is State.HEALTHY}
    return CheckContext(workspace=workspace, lab_dir=lab.folder, endpoints=endpoints,
                        control=backend)  # fmt: skip


def prepare(lab: Lab, backend: Backend, settings: Settings, ctx: CheckContext) -> None:
    """The app and the lab's own services run the learner's edited code; their Lambda is
    (re)deployed, unless the lab leaves deploying to the learner's pipeline."""
    if "app" in lab.workspace and "app" in ctx.endpoints:
        _restart_if_changed(backend, settings, "app", settings.app_dir / "app")
    for service in lab.lab_services:
        if service.root == "workspace" and service.name in ctx.endpoints:
            folder = lab_services.folder_of(service, lab, ctx.workspace)
            _restart_if_changed(backend, settings, service.name, folder)
    aws = ctx.endpoints.get("aws")
    # A real account is changed only by `sandbox deploy`, which names it and asks first.
    if "lambda" not in lab.workspace or aws is None or is_real_aws(aws):
        return
    if lab.deploy_before_checks == "always" or not function_exists(aws):
        deploy(aws, settings.lambda_dir)


def _restart_if_changed(backend: Backend, settings: Settings, service: str, code: Path) -> None:
    """Restart `service` when the code in `code` changed since it was last graded (or it
    was never graded here: copied files keep their old times, so times cannot tell)."""
    from sandbox.aws.package import fingerprint

    if limit(backend, Capability.CONTROL) is not None:
        return  # the external backend runs no app of ours: the learner runs theirs elsewhere
    marker = settings.home / FINGERPRINTS / service
    current = repr(fingerprint(code))
    if marker.exists() and marker.read_text() == current:
        return
    # A restart, not a reload: the learner may have changed gunicorn's own configuration.
    backend.stop_service(service)
    backend.start_service(service)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(current)


def _require_pointed(lab: Lab, settings: Settings, folder: Path) -> None:
    """Grading another app than the learner's would give points they did not earn."""
    for key, wanted in ws.stack_dirs(lab, folder).items():
        if getattr(settings, key) != wanted:
            raise SandboxError(
                f"the stack runs {getattr(settings, key)}, not your {lab.id} workspace",
                f"run `sandbox lab start {lab.id}` (it points the stack at {folder})",
            )


@contextlib.contextmanager
def _stack_to_itself(
    lab: Lab, settings: Settings, on_wait: Callable[[str], None] | None
) -> Iterator[None]:
    """One grading of a stack at a time: a second one's requests would land in the first
    one's faults and restarts (a `--watch` grader and a check from the TUI, say), and both
    would report failures the learner's code did not cause. Labs that read only files
    (no `services:`) need no stack, and no lock."""
    if not lab.services:
        yield
        return
    path = settings.home / GRADING_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)

    def waiting(holder: str) -> None:
        if on_wait is not None:
            on_wait(f"another grading of this stack is running ({holder}): waiting for it")

    def stuck(holder: str) -> SandboxError:
        return SandboxError(
            f"another grading of this stack ({holder}) has run for over {GRADING_WAIT_S:g} s",
            "wait for it to finish, or stop that process; then check again",
        )

    with processlock.hold(path, f"grading {lab.id}", GRADING_WAIT_S, waiting, stuck):
        yield


def _require_not_graded_now() -> None:
    """A grading started by a command the grader runs (a workflow's step) would wait for
    the grading that runs it, which waits for that step."""
    graded = os.environ.get(GRADING_VARIABLE)
    if graded:
        raise SandboxError(
            f"this command runs inside the grading of {graded}, which cannot wait for another",
            "take `sandbox lab check` out of the workflow: the grader runs the workflow itself",
        )


def _require_started(lab: Lab, folder: Path) -> None:
    """Without a workspace every check would fail on a missing file, each saying so."""
    if not folder.is_dir():
        raise SandboxError(
            f"{lab.id} is not started here: there is no workspace at {folder}",
            f"run `sandbox lab start {lab.id}` (it copies the starter files there)",
        )


def _require_own_checks(lab: Lab, folder: Path) -> None:
    """The checks come from the sandbox's labs folder, never from what the learner edits."""
    if lab.folder.resolve().is_relative_to(folder.resolve()):
        raise SandboxError(
            f"the lab's checks would be loaded from your workspace ({lab.folder})",
            "grade with the sandbox's own labs: unset SANDBOX_LABS_DIR",
        )


def grade(
    lab: Lab,
    registry: Registry,
    settings: Settings,
    step: str | None = None,
    listener: Listener | None = None,
    workspace: Path | None = None,
    backend_name: str | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> LabReport:
    """Grade `lab` (or one step); `on_wait` hears, once, that another grading of the same
    stack runs and this one waits for it."""
    _require_not_graded_now()
    backend = resolve_backend(settings, backend_name)
    folder = workspace or ws.workspace_of(lab)
    _require_started(lab, folder)
    _require_own_checks(lab, folder)
    _require_pointed(lab, settings, folder)
    store = progress_store.ProgressStore(settings.home)
    with _stack_to_itself(lab, settings, on_wait):
        ctx = context(lab, backend, folder, settings)
        prepare(lab, backend, settings, ctx)
        # Hints revealed while the checks run are charged at the next grading, and kept.
        hint_cost = store.get(lab.id).hint_cost
        report = run_lab(lab, registry, ctx, step, hint_cost, listener)
    report.provenance = stamp(lab)
    passed = [r.id for r in report.results if r.status is Status.PASSED]
    with store.update(lab.id) as progress:
        if step is None and not report.count(Status.UNKNOWN):
            progress_store.record_check(progress, report.score, report.max_score, passed)
        else:  # one step's score, or a grading cut short by a service down, says nothing
            progress.passed = sorted(set(progress.passed) | set(passed))  # about the lab's
    return report
