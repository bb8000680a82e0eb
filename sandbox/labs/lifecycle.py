"""A lab's life on the stack: start it (the stack runs the learner's code), leave it (the
project's own code again, the learner's work kept), reset it (leave it, then delete).

Only what a lab replaces moves, and only what moved is restarted: the app service when the
app's folder changed, the deployed Lambda when the Lambda's folder changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sandbox.config import Settings
from sandbox.errors import ServiceStartError
from sandbox.labs import loader
from sandbox.labs import progress as progress_store
from sandbox.labs import services as lab_services
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import Capability, limit
from sandbox.labs.model import Lab
from sandbox.stack import labservices
from sandbox.stack.backend import Backend
from sandbox.stack.model import ServiceStatus, State

SERVICES_TIMEOUT = 90.0  # a lab service waits for its dependencies, then gets 30 s to answer


class Change(StrEnum):
    """What switching the stack's code did to a running stack."""

    APP_RESTARTED = "app restarted"
    LAMBDA_REDEPLOYED = "Lambda redeployed"
    SERVICES_STARTED = "lab services started"
    SERVICES_STOPPED = "lab services stopped"
    SERVICES_NOT_RUN = "lab services not run (they need the embedded backend)"
    NOT_RUNNING = "stack not running"  # nothing to restart: `up` runs the new code


@dataclass
class Switch:
    labs: list[str] = field(default_factory=list)  # the labs started or left
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # starting data loaded, undo point saved


BackendFactory = Callable[[], Backend]


def running_labs(settings: Settings) -> list[str]:
    """The labs whose workspace the stack's code comes from now, or whose services it runs."""
    with_services = {spec.lab for spec in labservices.read(settings.home).values()}
    found = []
    for lab_id in loader.lab_ids():
        lab, _ = loader.load(lab_id)
        points = ws.stack_dirs(lab, ws.workspace_of(lab)) and ws.points_at(lab, settings.home)
        if points or lab.id in with_services:
            found.append(lab.id)
    return found


def start_lab(
    lab: Lab, settings: Settings, backend: BackendFactory, force: bool = False
) -> tuple[ws.StartInfo, Switch]:
    """Copy the starter, record the start, and make a running stack run the learner's code."""
    info = ws.start(lab, settings.home, force)
    with progress_store.ProgressStore(settings.home).update(lab.id) as progress:
        progress.started_at = progress.started_at or time.time()
    if lab.lab_services:
        specs = lab_services.resolve(lab, info.workspace, settings)
        labservices.replace_lab(settings.home, lab.id, specs)
    switch = Switch([lab.id], follow(settings, backend))
    if lab.lab_services:
        names = [s.name for s in lab.lab_services]
        switch.changes += follow_services(backend, names, started=True)
    from sandbox.snapshots import steps  # snapshots build on the labs: imported when used

    switch.notes = steps.on_lab_start(lab, settings, backend(), force)
    return info, switch


def stop_lab(settings: Settings, backend: BackendFactory, lab: Lab | None = None) -> Switch:
    """Point the stack back at the project's own code (for `lab`, or every running lab),
    stop the labs' own services, keep the workspace, and restart only what changed."""
    labs = [lab] if lab is not None else [loader.load(i)[0] for i in running_labs(settings)]
    left, removed = [], []
    for one in labs:
        unpointed = ws.unpoint(one, settings.home)
        theirs = _remove_services(one, settings)
        removed += theirs
        if unpointed or theirs:
            left.append(one.id)
    changes = follow(settings, backend) if left else []
    if removed:
        changes += follow_services(backend, removed, started=False)
    return Switch(left, changes)


def _remove_services(lab: Lab, settings: Settings) -> list[str]:
    """The names of the lab's services the stack was told to run, now no longer."""
    theirs = [s.name for s in labservices.read(settings.home).values() if s.lab == lab.id]
    if theirs:
        labservices.replace_lab(settings.home, lab.id, [])
    return theirs


def follow_services(backend: BackendFactory, names: list[str], started: bool) -> list[Change]:
    """Wait until the supervisor has started (or stopped) the lab services."""
    stack = backend()
    if not stack.status().running:
        return [Change.NOT_RUNNING]
    if limit(stack, Capability.CONTROL) is not None or stack.name != "embedded":
        return [Change.SERVICES_NOT_RUN]
    deadline = time.monotonic() + SERVICES_TIMEOUT
    while time.monotonic() < deadline:
        services = stack.status().services
        if started and _all_started(services, names):
            return [Change.SERVICES_STARTED]
        if not started and not any(name in services for name in names):
            return [Change.SERVICES_STOPPED]
        time.sleep(0.1)
    state = "healthy" if started else "stopped"
    raise ServiceStartError(
        ", ".join(names),
        f"not {state} within {SERVICES_TIMEOUT:.0f} s",
        f"see `sandbox status` and `sandbox logs {names[0]}`",
    )


def _all_started(services: Mapping[str, ServiceStatus], names: list[str]) -> bool:
    for name in names:
        service = services.get(name)
        if service is not None and service.state is State.FAILED:
            raise ServiceStartError(name, service.error, f"see `sandbox logs {name}`")
        if service is None or service.state is not State.HEALTHY:
            return False
    return True


def reset_lab(lab: Lab, settings: Settings, backend: BackendFactory) -> Switch:
    """Leave the lab if the stack runs it, then delete the workspace and the progress."""
    switch = stop_lab(settings, backend, lab)
    ws.reset(lab, settings.home)
    progress_store.ProgressStore(settings.home).forget(lab.id)
    from sandbox.snapshots import steps

    steps.forget_lab(lab, settings)  # its undo points belong to the attempt being reset
    return switch


def follow(before: Settings, backend: BackendFactory) -> list[Change]:
    """After the overrides changed: restart the app and redeploy the Lambda if their folders
    moved and the stack runs them."""
    after = before.repointed()
    moved_app, moved_lambda = before.app_dir != after.app_dir, before.lambda_dir != after.lambda_dir
    if not (moved_app or moved_lambda):
        return []
    stack = backend()
    status = stack.status()
    if not status.running:
        return [Change.NOT_RUNNING]
    changes = []
    runs_app = limit(stack, Capability.CONTROL) is None  # the external backend runs none of ours
    if moved_app and runs_app and status.services["app"].state is not State.STOPPED:
        stack.stop_service("app")
        stack.start_service("app")
        changes.append(Change.APP_RESTARTED)
    aws = status.services["aws"]
    from sandbox.aws.clients import is_real_aws  # boto3: only when a lab moves the Lambda

    # A real account is changed only by `sandbox deploy`, which names it and asks first.
    mine = aws.state is State.HEALTHY and not is_real_aws(aws.url)
    if moved_lambda and mine:
        from sandbox.aws.deploy import deploy, function_exists

        if function_exists(aws.url):
            deploy(aws.url, after.lambda_dir)
            changes.append(Change.LAMBDA_REDEPLOYED)
    return changes
