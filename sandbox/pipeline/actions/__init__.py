"""The actions the sandbox runs locally, one entry each: `owner/name` to a stand-in that
does here what the action does on GitHub (see base.py for the contract). Any other action
is reported as not run locally, and its step fails.

To map another action: write a function `(ActionCall) -> ActionResult` in a module of this
package and add one line to LOCAL_ACTIONS.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.pipeline.actions.artifacts import download_artifact, upload_artifact
from sandbox.pipeline.actions.base import Action, ActionCall, ActionFailed, ActionResult
from sandbox.pipeline.actions.checkout import checkout
from sandbox.pipeline.actions.grading_reporter import grading_reporter
from sandbox.pipeline.actions.setup_python import setup_python

LOCAL_ACTIONS: dict[str, Action] = {
    "actions/checkout": checkout,
    "actions/setup-python": setup_python,
    "actions/upload-artifact": upload_artifact,
    "actions/download-artifact": download_artifact,
    "classroom-resources/autograding-grading-reporter": grading_reporter,
}


@dataclass(frozen=True)
class ActionRef:
    """`uses: owner/name[/path]@ref` taken apart (a local ./path or docker:// has no ref)."""

    uses: str
    name: str
    ref: str


def parse_uses(uses: str) -> ActionRef:
    name, _, ref = uses.strip().partition("@")
    return ActionRef(uses.strip(), name.strip().lower(), ref.strip())


def local_action(uses: str) -> Action | None:
    """The stand-in for `uses`, or None when the sandbox does not run that action."""
    return LOCAL_ACTIONS.get(parse_uses(uses).name)


def supported() -> str:
    return ", ".join(LOCAL_ACTIONS)


__all__ = [
    "LOCAL_ACTIONS",
    "Action",
    "ActionCall",
    "ActionFailed",
    "ActionResult",
    "local_action",
    "parse_uses",
    "supported",
]
