"""Helpers for driving the TUI in tests: wait for background work, read what is shown."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot


async def settle(pilot: Pilot[None], timeout: float = 10.0) -> None:
    """Wait until no background task runs (polls and log follows excepted), then a moment
    more for the messages they posted."""
    deadline = time.monotonic() + timeout
    await pilot.pause(0.05)
    while time.monotonic() < deadline and busy(pilot):
        await pilot.pause(0.05)
    await pilot.pause(0.1)
    await pilot.wait_for_scheduled_animations()


def busy(pilot: Pilot[None]) -> bool:
    return any(w.group == "tasks" and not w.is_finished for w in pilot.app.workers)


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 30.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what or condition}")
