"""The Serverless screen: deploy (and watch), the resources, fire events, the timeline."""

from __future__ import annotations

import time
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import ContentSwitcher, Static
from textual.worker import Worker, get_current_worker

from sandbox.aws.deploy import DeployResult
from sandbox.aws.inventory import Deployment
from sandbox.errors import SandboxError
from sandbox.tui import timeline
from sandbox.tui.commands import bindings
from sandbox.tui.messages import TaskDone, TaskFailed
from sandbox.tui.screens.base import SandboxScreen, as_sandbox_error
from sandbox.tui.screens.fire_form import FireForm, FireRequest
from sandbox.tui.timeline import EventRecord
from sandbox.tui.widgets.fire_bar import FireBar
from sandbox.tui.widgets.resources_table import ResourcesTable
from sandbox.tui.widgets.section_bar import SectionBar
from sandbox.tui.widgets.timeline import Timeline

WATCH_EVERY = 0.5
SECTIONS = [("timeline", "Event timeline"), ("resources", "Deployed resources")]


class ServerlessScreen(SandboxScreen):
    MODE = "serverless"
    AUTO_FOCUS = "#timeline"
    BINDINGS: ClassVar[list[BindingType]] = bindings("serverless")

    def __init__(self) -> None:
        super().__init__()
        self.fired = 0
        self.deployed: DeployResult | None = None  # deployed from this screen
        self.found: Deployment | str | None = None  # read from the emulator; str: why not
        self.watcher: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        yield from self.frame_top()
        yield Static("", id="deploy-summary")
        with Horizontal(id="serverless-body"):
            yield FireBar()
            with Vertical(id="serverless-main"):
                yield SectionBar(SECTIONS, id="serverless-sections")
                with ContentSwitcher(initial="timeline", id="serverless-switcher"):
                    yield Timeline()
                    yield ResourcesTable()
        yield from self.frame_bottom()

    def on_mount(self) -> None:
        self.show_summary()

    def on_screen_resume(self) -> None:
        """Each time the screen is shown: what the emulator has now (the CLI, a lab or an
        earlier session may have deployed since)."""
        self.background("read what is deployed", self._read_deployment, self.show_found, quiet=True)

    def _read_deployment(self) -> Deployment | str:
        """Runs in a thread. An emulator that is down is a state to show, not an error."""
        try:
            return self.source.deployment()
        except SandboxError as err:
            return err.message

    def show_found(self, found: Deployment | str) -> None:
        self.found = found
        if self.deployed is None and isinstance(found, Deployment):
            self.query_one(ResourcesTable).show_found(found)
        self.show_summary()

    # -- deploy ---------------------------------------------------------------------------

    def action_deploy(self) -> None:
        self.background("deploy", self.source.deploy, self.show_deploy)

    def show_deploy(self, result: DeployResult) -> None:
        self.deployed = result
        self.query_one(ResourcesTable).show(result)
        self.show_summary()

    def show_summary(self) -> None:
        watch = ("on", "$text-success") if self.watcher else ("off", "$text-muted")
        head = deploy_summary(self.deployed) if self.deployed else found_summary(self.found)
        summary = Content.assemble(head, "  ·  watch ", watch)
        self.query_one("#deploy-summary", Static).update(summary)

    def action_watch(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            self.watcher = None
        else:
            self.watcher = self._watch()
        self.show_summary()

    @work(thread=True, exclusive=True, group="watch")
    def _watch(self) -> None:
        worker = get_current_worker()
        last = self.source.lambda_fingerprint()
        while not worker.is_cancelled:
            time.sleep(WATCH_EVERY)
            current = self.source.lambda_fingerprint()
            if current != last and not worker.is_cancelled:
                last = current
                self._redeploy()

    def _redeploy(self) -> None:
        try:
            result = self.source.deploy()
        except Exception as err:
            self.post_message(TaskFailed("redeploy", as_sandbox_error(err), quiet=True))
            return
        self.post_message(TaskDone("redeploy", result, self._redeployed))

    def _redeployed(self, result: DeployResult) -> None:
        self.show_deploy(result)
        changed = ", ".join(f"{r.name} {r.action}" for r in result.changed) or "no change"
        self.notify(f"redeployed: {changed}", markup=False)

    # -- events ---------------------------------------------------------------------------

    def action_fire(self, source: str) -> None:
        self.send(FireRequest(source, "fire", {}))

    def action_form(self) -> None:
        self.app.push_screen(FireForm(self.source.sample_event, self.sandbox.cursor_blink),
                             self._form_done)  # fmt: skip

    def _form_done(self, request: FireRequest | None) -> None:
        if request is not None:
            self.send(request)

    def send(self, request: FireRequest) -> None:
        self.fired += 1
        record = timeline.pending(self.fired, request.source, self.source.now(), request.mode)
        self.query_one(Timeline).put(record)
        self.action_section("timeline")
        label = f"{request.mode} {request.source}"
        self.background(label, lambda: self._send(record, request), self.query_one(Timeline).put)

    def _send(self, record: EventRecord, request: FireRequest) -> EventRecord:
        """Runs in a thread; never raises: a failure is marked on the hop where it happened."""
        try:
            if request.mode == "invoke":
                return timeline.from_invoke(record, self.source.invoke(request.payload))
            return timeline.from_result(record, self.source.fire(request.source, request.payload))
        except Exception as err:
            return timeline.from_error(record, as_sandbox_error(err))

    def action_clear(self) -> None:
        self.query_one(Timeline).clear()

    @on(FireBar.Fire)
    def _fire_pressed(self, message: FireBar.Fire) -> None:
        self.action_fire(message.source)

    @on(FireBar.OpenForm)
    def _form_pressed(self) -> None:
        self.action_form()


def deploy_summary(result: DeployResult) -> Content:
    return Content.assemble(
        (" Lambda deployed", "$text-success"),
        f": {len(result.resources)} resources, {len(result.changed)} changed"
        f"  ·  API {result.stage_url}/events",
    )


def found_summary(found: Deployment | str | None) -> Content:
    """The function and its triggers as the emulator has them."""
    if found is None:
        return Content.styled(" Lambda: reading what the emulator has...", "$text-muted")
    if isinstance(found, str):
        return Content.styled(f" Lambda: unknown: {found}", "$text-warning")
    if found.function is None:
        return Content.styled(" Lambda: not deployed: press d to deploy", "$text-warning")
    sources = ", ".join(found.sources) or "no triggers"
    api = f"  ·  API {found.stage_url}/events" if found.stage_url else ""
    return Content.assemble(
        (" Lambda deployed", "$text-success"),
        f": {found.function.name} ({found.function.detail})  ·  triggers: {sources}{api}",
    )
