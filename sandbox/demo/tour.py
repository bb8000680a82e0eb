"""Running the tour: a throw-away stack of its own (a temporary state dir and workspace, free
ports), the steps with a counter and a pause between them, a stop at any key, and the stack
removed at the end whatever happened. The learner's own stack and progress are not touched."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sandbox.demo.cast import Output
from sandbox.demo.keys import KeyWatcher
from sandbox.demo.steps import STEPS, Tour
from sandbox.stack.specs import free_port_variables

# Settings a user may have that would point the demo's stack at other code.
FOREIGN = ("SANDBOX_APP_DIR", "SANDBOX_LAMBDA_DIR", "SANDBOX_LABS_DIR", "SANDBOX_BACKEND")


def run_tour(out: Output, pace: float) -> int:
    """Run every step; return how many ran (fewer when a key stopped the tour)."""
    keys = KeyWatcher()
    with keys.watching(), _own_stack():
        tour = Tour(out, keys, pace)
        try:
            return _steps(tour)
        finally:
            out.say("Removing the demo's stack...", dim=True)
            tour.backend.reset()


def _steps(tour: Tour) -> int:
    for number, (title, step) in enumerate(STEPS, 1):
        if tour.keys.pressed.is_set():
            tour.out.say(f"Stopped before step {number} (a key was pressed).", bold=True)
            return number - 1
        tour.out.say("")
        tour.out.say(f"━━ [{number}/{len(STEPS)}] {title} ", bold=True, fg="cyan")
        step(tour)
        tour.keys.wait(tour.pace)
    return len(STEPS)


@contextlib.contextmanager
def _own_stack() -> Iterator[Path]:
    """The process's environment points at a temporary state dir, workspace and free ports
    for the duration (the lab functions read it), then is put back."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="sandbox-demo-") as root:
        for name in FOREIGN:
            os.environ.pop(name, None)
        os.environ.update(
            {
                "SANDBOX_HOME": f"{root}/home",
                "SANDBOX_WORKSPACE": f"{root}/workspace",
                **free_port_variables(),
            }
        )
        try:
            yield Path(root)
        finally:
            os.environ.clear()
            os.environ.update(saved)
