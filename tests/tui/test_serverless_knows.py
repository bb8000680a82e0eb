"""The Serverless screen shows what the emulator has, whoever deployed it: the function and
its triggers, read from the emulator each time the screen is shown (FAKE data source)."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from sandbox.aws.inventory import Deployment
from sandbox.errors import StackNotRunningError
from sandbox.tui.app import SandboxApp
from sandbox.tui.widgets.resources_table import ResourcesTable
from tests.tui.fake_source import FakeSource
from tests.tui.helpers import settle

pytestmark = pytest.mark.asyncio


class NothingDeployed(FakeSource):
    def deployment(self) -> Deployment:
        return Deployment(None)


class EmulatorDown(FakeSource):
    def deployment(self) -> Deployment:
        raise StackNotRunningError("the AWS emulator is not running", "start the stack")


def summary(app: SandboxApp) -> str:
    return str(app.screen.query_one("#deploy-summary", Static).render())


async def test_a_function_deployed_elsewhere_is_shown_with_its_triggers() -> None:
    app = SandboxApp(FakeSource(), cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        shown = summary(app)
        assert "Lambda deployed: sandbox-events-processor" in shown
        assert "triggers: api, s3, sqs" in shown
        assert "/restapis/abc123/dev/_user_request_/events" in shown
        assert "not deployed" not in shown
        await pilot.press("t")  # the resources section: what the emulator has
        table = app.screen.query_one(ResourcesTable)
        names = [table.get_row_at(i)[1].plain for i in range(table.row_count)]
        assert names[0] == "sandbox-events-processor"
        assert names[1:] == ["sandbox-uploads", "sandbox-jobs", "sandbox-events-api"]


async def test_nothing_deployed_says_so_and_how_to_deploy() -> None:
    app = SandboxApp(NothingDeployed(), cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert "Lambda: not deployed: press d to deploy" in summary(app)


async def test_an_emulator_that_is_down_is_a_state_not_an_error_popup() -> None:
    app = SandboxApp(EmulatorDown(), cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert "Lambda: unknown: the AWS emulator is not running" in summary(app)
        assert app.screen.id == "serverless-screen"


async def test_a_deploy_from_here_replaces_what_was_read() -> None:
    app = SandboxApp(FakeSource(), cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert "8 resources, 2 changed" in summary(app)
        await pilot.press("1", "2")  # shown again: read again, the deploy's summary stays
        await settle(pilot)
        assert "8 resources, 2 changed" in summary(app)
