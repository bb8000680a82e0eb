"""Every screen at 80x24 and 120x40, drawn from the fixed FAKE data source (stable pictures).

Update the pictures with `pytest tests/tui --snapshot-update` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from sandbox.tui.app import SandboxApp
from sandbox.tui.widgets.item_table import ItemTable
from sandbox.tui.widgets.queue_table import QueueTable
from tests.tui.fake_source import FakeSource
from tests.tui.helpers import busy, settle, wait_until

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
KEYS = {
    "stack": [],
    "serverless": ["2", "d", "s", "q"],  # deployed, one event through, one failing
    "data": ["3"],
    "metrics": ["4"],
    "labs": ["5", "c", "down"],  # checks run; the failed check selected
    "help": ["question_mark"],
}


def first_poll_shown(pilot: Pilot[None]) -> bool:
    """The data screen fills its tables in steps (listing, then items and objects, and
    the queues from its first poll): wait for every one of them."""
    tables = [*pilot.app.screen.query(QueueTable), *pilot.app.screen.query(ItemTable)]
    return all(table.row_count > 0 for table in tables)


def polls_idle(pilot: Pilot[None]) -> bool:
    return not any(w.group == "poll" and not w.is_finished for w in pilot.app.workers)


def pressing(keys: list[str]) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await wait_until(
            pilot, lambda: first_poll_shown(pilot) and polls_idle(pilot) and not busy(pilot), 10
        )
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause(0.1)

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", KEYS)
def test_screen(snap_compare: Callable[..., bool], screen: str, size: str) -> None:
    app = SandboxApp(FakeSource(), cursor_blink=False)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=pressing(KEYS[screen]))
