"""Pilot tests on a real embedded stack, started from the TUI itself: start it, fire an S3
event through to its item, filter the app's log, see the app's metrics, start lab 01 and run
its checks (the stack then runs the lab's starter code), reveal a hint.

The stack runs in its own state dir on free ports; the tests share it (in file order: the
first one starts it) and it is reset at the end.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from sandbox.aws.deploy import deploy
from sandbox.config import Settings
from sandbox.labs.checks.base import Status
from sandbox.labs.progress import ProgressStore
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.specs import SERVICE_NAMES, free_port_variables
from sandbox.tui.app import SandboxApp
from sandbox.tui.screens.error import ErrorScreen
from sandbox.tui.screens.labs import LabsScreen
from sandbox.tui.screens.serverless import ServerlessScreen
from sandbox.tui.source import RealSource
from sandbox.tui.widgets.check_table import CheckTable
from sandbox.tui.widgets.log_pane import LogPane
from sandbox.tui.widgets.routes_table import RoutesTable
from sandbox.tui.widgets.services_table import ServicesTable
from sandbox.tui.widgets.timeline import Timeline
from tests.conftest import LAMBDA_DIR
from tests.tui.helpers import settle, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="function")]
LAB = "01-twelve-factor"
FINAL = {Status.PASSED, Status.FAILED, Status.UNKNOWN}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The settings of the TUI's stack (its own home and ports); reset afterwards."""
    root = tmp_path_factory.mktemp("tui-stack")
    values = {
        "SANDBOX_HOME": str(root / "home"),
        "SANDBOX_BACKEND": "embedded",
        **free_port_variables(),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SANDBOX_WORKSPACE", str(root / "workspace"))  # lab workspaces go here
        yield values
        EmbeddedBackend(Settings.from_env(values)).reset()


@pytest.fixture
def running(env: dict[str, str]) -> dict[str, str]:
    """The stack is up (already, when the first test started it from the TUI)."""
    EmbeddedBackend(Settings.from_env(env)).start()
    return env


def tui(env: dict[str, str]) -> SandboxApp:
    return SandboxApp(RealSource(env), cursor_blink=False, poll_interval=0.5)


def states(app: SandboxApp) -> dict[str, str]:
    table = app.screen.query_one(ServicesTable)
    return {str(key.value): table.get_cell(key, "state").plain for key in table.rows}


async def test_start_the_stack_from_the_tui(env: dict[str, str]) -> None:
    app = tui(env)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(states(app)) == len(SERVICE_NAMES), 10, "the services")
        assert set(states(app).values()) == {"○ stopped"}
        await pilot.press("u")
        await wait_until(pilot, lambda: set(states(app).values()) == {"● healthy"}, 120,
                         "every service healthy")  # fmt: skip
    assert EmbeddedBackend(Settings.from_env(env)).status().all_healthy


async def test_the_serverless_screen_knows_a_deploy_made_elsewhere_after_a_restart(
    running: dict[str, str],
) -> None:
    backend = EmbeddedBackend(Settings.from_env(running))
    deploy(backend.endpoint("aws"), LAMBDA_DIR)  # what `sandbox deploy` does, not the TUI
    backend.stop_service("aws")  # the emulator keeps its state across a graceful restart
    backend.start_service("aws")
    app = tui(running)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, ServerlessScreen)
        summary = screen.query_one("#deploy-summary", Static)
        await wait_until(pilot, lambda: "Lambda deployed" in str(summary.render()), 30,
                         "the function read from the emulator")  # fmt: skip
        shown = str(summary.render())
        assert "sandbox-events-processor" in shown
        assert "triggers: api, dynamodb, eventbridge, s3, sns, sqs" in shown
        assert screen.deployed is None  # nothing was deployed from this screen


async def test_fire_an_s3_event_and_see_its_timeline(running: dict[str, str]) -> None:
    app = tui(running)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "d")
        screen = app.screen
        assert isinstance(screen, ServerlessScreen)
        await wait_until(pilot, lambda: screen.deployed is not None, 90, "the deploy")
        await pilot.press("s")
        timeline = screen.query_one(Timeline)
        await wait_until(pilot, lambda: timeline.cards[1].record.done, 30, "the S3 event")
        record = timeline.cards[1].record
        assert not record.failed, [h.detail for h in record.hops]
        assert [h.name for h in record.hops] == ["sent", "Lambda invoked", "item written"]
        assert record.item is not None
        assert record.item["source"] == "aws:s3"
        await settle(pilot)
        shown = "\n".join(str(s.render()) for s in timeline.cards[1].query(Static))
        assert f"event_id: {record.item['event_id']}" in shown
        assert "Lambda invoked" in shown


async def test_filter_the_app_log(running: dict[str, str]) -> None:
    app = tui(running)
    async with app.run_test(size=(120, 40)) as pilot:
        logs = app.screen.query_one(LogPane)
        await wait_until(pilot, lambda: len(states(app)) == len(SERVICE_NAMES), 10, "the services")
        await pilot.press(*["down"] * (len(SERVICE_NAMES) - 1))  # the app's row is the last
        await wait_until(pilot, lambda: logs.service == "app", 10, "the app's log")
        app_url = EmbeddedBackend(Settings.from_env(running)).endpoint("app")
        for path in ("/health", "/api/users", "/health"):
            urllib.request.urlopen(app_url + path, timeout=5).close()
        await wait_until(pilot, lambda: sum("/api/users" in ln for ln in logs.shown) >= 1, 15,
                         "the new request lines")  # fmt: skip
        await pilot.press("slash", *"/health")
        assert logs.shown
        assert all("/health" in line for line in logs.shown)
        assert len(logs.shown) < len(logs.buffer)
        await pilot.press("escape")
        assert len(logs.shown) == len(logs.buffer)


async def test_metrics_show_the_apps_requests(running: dict[str, str]) -> None:
    app = tui(running)
    app_url = EmbeddedBackend(Settings.from_env(running)).endpoint("app")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        routes = app.screen.query_one(RoutesTable)
        for _ in range(3):
            urllib.request.urlopen(app_url + "/api/users", timeout=5).close()

        def shown() -> list[str]:
            return [routes.get_row_at(i)[1].plain for i in range(routes.row_count)]

        await wait_until(pilot, lambda: "/api/users" in shown(), 15, "the /api/users route")
        assert "/metrics" not in shown()  # the TUI's own scrapes are left out


async def test_run_lab_checks_and_reveal_a_hint(running: dict[str, str]) -> None:
    app = tui(running)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, LabsScreen)
        checks = screen.query_one(CheckTable)
        await wait_until(pilot, lambda: checks.row_count > 0, 10, "lab 01's checks")
        await pilot.press("o")  # start the lab: the stack restarts on the starter's code
        await settle(pilot, timeout=120)
        assert not isinstance(app.screen, ErrorScreen), app.screen.message
        await pilot.press("c")
        await wait_until(pilot, lambda: not screen.grading, 120, "the checks")
        assert not isinstance(app.screen, ErrorScreen), app.screen.message
        assert set(checks.states.values()) <= FINAL
        assert checks.states["health"] == Status.PASSED
        assert checks.results["health"].message
        await pilot.press("down", "h")  # the `ready` check: its first hint
        await settle(pilot)
        detail = str(screen.query_one("#check-detail").render())
        assert "hint 1: Add a GET /ready route" in detail
    progress = ProgressStore(Path(running["SANDBOX_HOME"])).get(LAB)
    assert progress.hints == {"ready": 1}
    assert progress.last_checked_at is not None
