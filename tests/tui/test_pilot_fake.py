"""Pilot tests on the FAKE data source: help, palette, form, errors, filter, responsiveness."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Select, Static, TextArea

from sandbox.errors import ServiceStartError
from sandbox.stack.model import StackStatus
from sandbox.tui.app import SandboxApp
from sandbox.tui.commands import ACTIONS
from sandbox.tui.screens.error import ErrorScreen
from sandbox.tui.screens.fire_form import FireForm
from sandbox.tui.screens.help import HelpScreen
from sandbox.tui.widgets.key_bar import KeyBar
from sandbox.tui.widgets.lab_list import LabList
from sandbox.tui.widgets.log_pane import LogPane
from sandbox.tui.widgets.mode_bar import ModeBar
from sandbox.tui.widgets.timeline import Timeline
from tests.tui.fake_source import FakeSource
from tests.tui.helpers import settle, wait_until

pytestmark = pytest.mark.asyncio


def fake_app(source: FakeSource | None = None) -> SandboxApp:
    return SandboxApp(source or FakeSource(), cursor_blink=False)


async def test_help_lists_the_bindings_with_their_cli_commands() -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for action in ACTIONS:
            assert action.description in text
        assert "sandbox up" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_every_action_is_in_the_palette_and_runs_from_there() -> None:
    app, source = fake_app(), FakeSource()
    app.source = source
    async with app.run_test(size=(80, 24)) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        for action in ACTIONS:
            if action.mode:
                assert any(action.description in title for title in commands)
        await commands["Serverless: Deploy the Lambda and wire every source"].callback()
        await settle(pilot)
        assert app.current_mode == "serverless"
        assert "deploy" in source.calls


async def test_a_failure_shows_the_message_the_cli_prints() -> None:
    error = ServiceStartError("postgres", "exited at once", "see `sandbox logs postgres`", "boom")

    class Failing(FakeSource):
        def start(self, progress: object) -> StackStatus:
            raise error

    app = fake_app(Failing())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert str(app.screen.query_one("#error-message").render()) == error.render()
        await pilot.press("escape")
        assert not isinstance(app.screen, ErrorScreen)


async def test_the_form_invokes_an_edited_sample_event() -> None:
    source = FakeSource()
    app = fake_app(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "f")
        form = app.screen
        assert isinstance(form, FireForm)
        form.query_one("#form-mode", Select).value = "invoke"
        await pilot.pause()
        assert '"fixed": true' in form.query_one(TextArea).text
        form.query_one(TextArea).text = "[1, 2]"
        await pilot.press("ctrl+s")
        assert "JSON object" in str(form.query_one("#form-error").render())
        form.query_one(TextArea).text = '{"Records": []}'
        await pilot.press("ctrl+s")
        await settle(pilot)
        card = app.screen.query_one(Timeline).cards[1]
        assert card.record.kind == "invoke"
        assert card.record.done
        assert "invoke" in source.calls


async def test_a_failed_event_is_marked_where_it_failed() -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "q")
        await settle(pilot)
        record = app.screen.query_one(Timeline).cards[1].record
        assert [h.state for h in record.hops] == ["ok", "failed", "skipped"]
        assert "KeyError" in record.hops[1].detail


async def test_the_log_filter_keeps_matching_lines() -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        logs = app.screen.query_one(LogPane)
        await wait_until(pilot, lambda: len(logs.shown) == 5, 5, "the log lines")
        await pilot.press("slash", *"error")
        assert len(logs.shown) == 1
        assert "ERROR" in logs.shown[0]
        await pilot.press("escape")
        assert len(logs.shown) == 5


async def test_keys_are_handled_while_a_worker_is_busy() -> None:
    """The start blocks its thread for up to 10 s; a key still switches screens at once.
    (bench/tui_latency.py measures this on the real stack.)"""
    source = FakeSource(delay=10.0)
    app = fake_app(source)
    switched: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await pilot.press("2", "1", "2", "1")  # both screens built and styled once
            app.mode_change_signal.subscribe(
                app, lambda _: switched.append(time.perf_counter()), immediate=True
            )
            await pilot.press("u")
            await pilot.pause(0.1)
            assert source.calls == ["start"]
            pressed = time.perf_counter()
            await pilot.press("2")
            assert app.current_mode == "serverless"
            assert switched[0] - pressed < 0.1
        finally:
            source.released.set()


async def test_quit_waits_for_a_running_task() -> None:
    source = FakeSource(delay=10.0)
    app = fake_app(source)
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await pilot.press("u")  # a start that blocks its thread
            await pilot.pause(0.1)
            await pilot.press("ctrl+q")
            await pilot.pause(0.3)
            assert app.is_running
            assert app.quitting
        finally:
            source.released.set()
        await wait_until(pilot, lambda: not app.is_running, 5, "the app to quit")
    assert app.return_code == 0


async def test_the_key_bar_and_the_mode_bar_are_clickable() -> None:
    source = FakeSource()
    app = fake_app(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click(KeyBar, offset=(0, 0))  # "u Up"
        await settle(pilot)
        assert source.calls == ["start"]
        await pilot.click(ModeBar, offset=(25, 0))  # " 2 Serverless "
        await settle(pilot)
        assert app.current_mode == "serverless"


async def test_the_labs_screen_shows_the_running_lab_and_l_leaves_it() -> None:
    source = FakeSource()
    app = fake_app(source)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        labs = app.screen.query_one(LabList)
        assert "running: l leaves it" in str(labs.get_option_at_index(0).prompt)
        await pilot.press("l")
        await settle(pilot)
        assert "stop lab" in source.calls
        await wait_until(pilot, lambda: "running" not in str(labs.get_option_at_index(0).prompt))


async def test_the_stack_screen_lists_the_faults_in_force_and_c_clears_them() -> None:
    source = FakeSource()
    app = fake_app(source)
    async with app.run_test(size=(120, 40)) as pilot:
        faults = app.screen.query_one("#stack-faults", Static)
        await wait_until(pilot, lambda: "latency_downstream" in str(faults.render()))
        await pilot.press("c")
        await settle(pilot)
        assert "clear faults" in source.calls
        await wait_until(pilot, lambda: "latency" not in str(faults.render()))


def notices(app: SandboxApp) -> list[str]:
    """Every message the app shows with notify(), as it shows them."""
    said: list[str] = []
    notify = app.notify

    def recorded(message: str, *args: object, **kwargs: object) -> None:
        said.append(message)
        notify(message, *args, **kwargs)  # type: ignore[arg-type]

    app.notify = recorded  # type: ignore[method-assign]
    return said


async def test_the_watch_toggle_checks_again_when_the_workspace_changes_and_says_what_changed() -> (
    None
):
    source = FakeSource()
    app = fake_app(source)
    said = notices(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("w")
        await wait_until(pilot, lambda: source.calls.count("grade") == 1, what="the first grading")
        labs = app.screen.query_one(LabList)
        assert "watching 01-twelve-factor: w stops" in str(labs.border_subtitle)
        source.passing.add("ready")
        source.stamp = "ready fixed"
        await wait_until(pilot, lambda: source.calls.count("grade") == 2, what="a new grading")
        await wait_until(pilot, lambda: any("ready failed -> passed" in s for s in said))
        changed = next(s for s in said if "ready failed -> passed" in s)
        assert "health" not in changed  # only what changed
        await pilot.press("w")
        await settle(pilot)
        source.stamp = "edited again"
        await pilot.pause(1.5)
        assert source.calls.count("grade") == 2
        assert "stopped watching the workspace" in said


async def test_a_check_that_waits_for_another_grading_of_the_stack_says_so() -> None:
    source = FakeSource()
    source.other_grading = "another grading of this stack is running (process 7 (grading 04-microservices)): waiting for it"  # noqa: E501
    app = fake_app(source)
    said = notices(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: source.calls.count("grade") == 1, what="the grading")
        await wait_until(pilot, lambda: source.other_grading in said, what="the note")
        await wait_until(pilot, lambda: any("points" in s for s in said), what="the result")
