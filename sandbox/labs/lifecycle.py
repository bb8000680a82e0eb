"""A lab's life on the stack: start it (the stack runs the learner's code), leave it (the
project's own code again, the learner's work kept), reset it (leave it, then delete).

Only what a lab replaces moves, and only what moved is restarted: the app service when the
app's folder changed, the deployed Lambda when the Lambda's folder changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from sandbox.config import Settings
from sandbox.labs import loader
from sandbox.labs import progress as progress_store
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import Capability, limit
from sandbox.labs.model import Lab
from sandbox.stack.backend import Backend
from sandbox.stack.model import State


class Change(StrEnum):
    """What switching the stack's code did to a running stack."""

    APP_RESTARTED = "app restarted"
    LAMBDA_REDEPLOYED = "Lambda redeployed"
    NOT_RUNNING = "stack not running"  # nothing to restart: `up` runs the new code


@dataclass
class Switch:
    labs: list[str] = field(default_factory=list)  # the labs started or left
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # starting data loaded, undo point saved


BackendFactory = Callable[[], Backend]


def running_labs(settings: Settings) -> list[str]:
    """The labs whose workspace the stack's code comes from now."""
    found = []
    for lab_id in loader.lab_ids():
        lab, _ = loader.load(lab_id)
        if ws.stack_dirs(lab, ws.workspace_of(lab)) and ws.points_at(lab, settings.home):
            found.append(lab.id)
    return found


def start_lab(
    lab: Lab, settings: Settings, backend: BackendFactory, force: bool = False
) -> tuple[ws.StartInfo, Switch]:
    """Copy the starter, record the start, and make a running stack run the learner's code."""
    info = ws.start(lab, settings.home, force)
    store = progress_store.ProgressStore(settings.home)
    progress = store.get(lab.id)
    progress.started_at = progress.started_at or time.time()
    store.save(lab.id, progress)
    switch = Switch([lab.id], follow(settings, backend))
    from sandbox.snapshots import steps  # snapshots build on the labs: imported when used

    switch.notes = steps.on_lab_start(lab, settings, backend(), force)
    return info, switch


def stop_lab(settings: Settings, backend: BackendFactory, lab: Lab | None = None) -> Switch:
    """Point the stack back at the project's own code (for `lab`, or every running lab),
    keep the workspace, and restart only what changed."""
    labs = [lab] if lab is not None else [loader.load(i)[0] for i in running_labs(settings)]
    left = [one.id for one in labs if ws.unpoint(one, settings.home)]
    return Switch(left, follow(settings, backend) if left else [])


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
    if moved_lambda and mine and _processor_deployed(aws.url):
        from sandbox.aws.deploy import deploy

        deploy(aws.url, after.lambda_dir)
        changes.append(Change.LAMBDA_REDEPLOYED)
    return changes


def _processor_deployed(endpoint: str) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    from sandbox.aws.clients import client
    from sandbox.aws.names import Names

    try:
        client("lambda", endpoint).get_function(FunctionName=Names().function)
    except (ClientError, BotoCoreError):
        return False
    return True
