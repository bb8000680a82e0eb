"""What a local stand-in for a GitHub action receives and gives back.

A stand-in is a function `(ActionCall) -> ActionResult` that does locally what the action
does on GitHub, or raises ActionFailed saying why it cannot. It runs in the runner's
process: it must be quick and never reach the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ActionCall:
    uses: str  # as written: actions/setup-python@v5
    inputs: Mapping[str, str]  # `with:`, evaluated, names in lower case
    env: Mapping[str, str]  # the step's environment (what a real action's process would see)
    workspace: Path  # GITHUB_WORKSPACE
    home: Path  # the sandbox's state dir (.sandbox): artifacts go under it
    log: Callable[[str], None]  # a line into the step's live output

    def input(self, name: str, default: str = "") -> str:
        return self.inputs.get(name.lower(), default)


@dataclass
class ActionResult:
    """The step's outputs, and what later steps see (as if written to $GITHUB_ENV,
    $GITHUB_PATH and $GITHUB_STEP_SUMMARY)."""

    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    summary: str = ""


class ActionFailed(Exception):
    """The stand-in ran and the step fails; the message says why and what to change.
    `result`: what it wrote before failing (a summary, outputs), which still counts."""

    def __init__(self, message: str, result: ActionResult | None = None) -> None:
        super().__init__(message)
        self.result = result


Action = Callable[[ActionCall], ActionResult]
