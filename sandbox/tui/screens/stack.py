"""The Stack screen: the services, refreshed live; start/stop/restart; the selected log."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from sandbox.config import BACKENDS
from sandbox.stack.model import StackStatus
from sandbox.tui.commands import bindings
from sandbox.tui.messages import FaultsUpdated, LogLines, StatusUpdated
from sandbox.tui.screens.base import SandboxScreen, as_sandbox_error
from sandbox.tui.widgets.log_pane import LogPane
from sandbox.tui.widgets.services_table import ServicesTable, notes

TAIL = 300


class StackScreen(SandboxScreen):
    MODE = "stack"
    AUTO_FOCUS = "#services"
    BINDINGS: ClassVar[list[BindingType]] = bindings("stack")

    def __init__(self) -> None:
        super().__init__()
        self.generation = 0  # which log-follow worker's lines are current

    def compose(self) -> ComposeResult:
        yield from self.frame_top()
        yield Static("", id="stack-summary")
        yield ServicesTable()
        yield Static("", id="stack-notes")
        yield Static("", id="stack-faults")
        yield LogPane(blink=self.sandbox.cursor_blink)
        yield from self.frame_bottom()

    def on_mount(self) -> None:
        self.start_polling()

    @property
    def table(self) -> ServicesTable:
        return self.query_one(ServicesTable)

    @property
    def logs(self) -> LogPane:
        return self.query_one(LogPane)

    # -- live status ----------------------------------------------------------------------

    def poll(self) -> None:
        try:
            self.post_message(StatusUpdated(self.source.status()))
        except Exception as err:
            self.post_message(StatusUpdated(None, as_sandbox_error(err).render()))
            return
        with contextlib.suppress(Exception):  # a service going down meanwhile: next poll
            self.post_message(FaultsUpdated(self.source.faults()))

    @on(FaultsUpdated)
    def _faults(self, message: FaultsUpdated) -> None:
        text = "\n".join(f" fault: {line}" for line in message.lines)
        self.query_one("#stack-faults", Static).update(Content.styled(text, "$text-warning"))

    @on(StatusUpdated)
    def _status(self, message: StatusUpdated) -> None:
        if message.status is None:
            self.query_one("#stack-summary", Static).update(
                Content.styled(f" cannot read the stack's status: {message.error}", "$text-error")
            )
            return
        self.show_status(message.status)

    def show_status(self, status: StackStatus) -> None:
        self.table.show(status, self.source.now())
        self.query_one("#stack-summary", Static).update(summary(status))
        self.query_one("#stack-notes", Static).update(Content("\n").join(notes(status)))
        if not self.logs.service and status.services:
            self.follow(self.table.selected or next(iter(status.services)))

    # -- actions --------------------------------------------------------------------------

    def progress(self, status: StackStatus) -> None:
        """Called from the worker's thread while the stack starts: post, never touch."""
        self.post_message(StatusUpdated(status))

    def action_start_all(self) -> None:
        self.background("start the stack", lambda: self.source.start(self.progress),
                        self.show_status)  # fmt: skip

    def action_stop_all(self) -> None:
        self.background("stop the stack", self.source.stop, self.show_status)

    def action_restart_all(self) -> None:
        def restart() -> StackStatus:
            self.source.stop()
            return self.source.start(self.progress)

        self.background("restart the stack", restart, self.show_status)

    def action_start_service(self) -> None:
        self._one_service("start", self.source.start_service)

    def action_stop_service(self) -> None:
        self._one_service("stop", self.source.stop_service)

    def action_restart_service(self) -> None:
        self._one_service("restart", self.source.restart_service)

    def _one_service(self, verb: str, call: Callable[[str], None]) -> None:
        name = self.table.selected
        if name is None:
            return
        self.background(f"{verb} {name}", lambda: call(name), lambda _: self._tick(True))

    def action_clear_faults(self) -> None:
        self.background("clear the faults", self.source.clear_faults, self._cleared)

    def _cleared(self, note: str) -> None:
        self.notify(note)
        self._tick(True)

    def action_switch_backend(self) -> None:
        current = self.source.backend_name
        other = BACKENDS[(BACKENDS.index(current) + 1) % len(BACKENDS)]
        self.source.use_backend(other)
        self.notify(f"backend: {other} (was {current})")
        self.logs.service = ""
        self.table.clear()
        self._tick(True)

    def action_filter(self) -> None:
        self.logs.open_filter()

    # -- the log pane ---------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#services")
    def _selected(self, event: DataTable.RowHighlighted) -> None:
        name = event.row_key.value
        if name and name != self.logs.service:
            self.follow(str(name))

    def follow(self, service: str) -> None:
        self.generation += 1
        self.logs.show(service, [])
        self._follow(service, self.generation)

    @work(thread=True, exclusive=True, group="logs")
    def _follow(self, service: str, generation: int) -> None:
        worker = get_current_worker()
        try:
            self.post_message(LogLines(generation, self.source.log_tail(service, TAIL), True))
            for line in self.source.follow_logs(service, lambda: worker.is_cancelled):
                self.post_message(LogLines(generation, [line]))
        except Exception as err:
            self.post_message(LogLines(generation, [f"(cannot read the log: {err})"]))

    @on(LogLines)
    def _log_lines(self, message: LogLines) -> None:
        if message.generation != self.generation:
            return
        if message.reset:
            self.logs.show(self.logs.service, message.lines)
        else:
            self.logs.add(message.lines)


def summary(status: StackStatus) -> Content:
    healthy = sum(s.state == "healthy" for s in status.services.values())
    state = ("all healthy", "$text-success") if status.all_healthy else (
        ("running", "$text-warning") if status.running else ("stopped", "$text-muted"))  # fmt: skip
    return Content.assemble(
        " ", (status.backend, "bold"), " backend · ", state,
        f" ({healthy}/{len(status.services)}) · {status.home}",
    )  # fmt: skip
