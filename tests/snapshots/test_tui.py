"""The TUI on the fixed fake source: the Data screen lists the snapshots, and the Labs screen
offers undo, asking first."""

from __future__ import annotations

import pytest
from textual.widgets import Button

from sandbox.tui.app import SandboxApp
from sandbox.tui.screens.confirm import ConfirmScreen
from sandbox.tui.widgets.snapshot_table import SnapshotTable
from tests.tui.fake_source import FakeSource
from tests.tui.helpers import settle, wait_until

pytestmark = pytest.mark.asyncio


async def test_the_data_screen_lists_the_snapshots_newest_first() -> None:
    app = SandboxApp(FakeSource(), cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        app.screen.action_section("snapshots")  # type: ignore[attr-defined]
        table = app.screen.query_one(SnapshotTable)
        await wait_until(pilot, lambda: table.row_count == 2)
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[0] == "clean-start"
        assert first[2:4] == ["89.4 KB", "user"]
        assert "ministack 1.5.33" in first[4]


async def test_u_on_the_labs_screen_asks_then_undoes_the_step() -> None:
    source = FakeSource()
    app = SandboxApp(source, cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Your files are not touched" in str(app.screen.question)
        await pilot.click(Button, offset=(2, 0))  # "Yes" (the first button)
        await wait_until(pilot, lambda: "undo 01-twelve-factor" in source.calls)


async def test_escape_on_the_undo_question_undoes_nothing() -> None:
    source = FakeSource()
    app = SandboxApp(source, cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("u", "escape")
        await settle(pilot)
        assert not any(call.startswith("undo") for call in source.calls)
