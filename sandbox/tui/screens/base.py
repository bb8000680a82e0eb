"""What every mode screen shares: the data source, background tasks, polling, errors.

Blocking work runs in thread workers that post messages back; widgets change only in the
message handlers, on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import ContentSwitcher

from sandbox.errors import SandboxError
from sandbox.tui.messages import TaskDone, TaskFailed
from sandbox.tui.screens.error import ErrorScreen
from sandbox.tui.source import DataSource
from sandbox.tui.widgets.busy_line import BusyLine
from sandbox.tui.widgets.key_bar import KeyBar
from sandbox.tui.widgets.mode_bar import ModeBar
from sandbox.tui.widgets.section_bar import SectionBar

T = TypeVar("T")


class SandboxAppLike(Protocol):
    """The app as screens see it (app.py imports the screens, not the other way round)."""

    source: DataSource
    poll_interval: float
    cursor_blink: bool


def _ignore(value: object) -> None:
    return None


class SandboxScreen(Screen[None]):
    MODE: ClassVar[str] = ""
    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self) -> None:
        super().__init__(id=f"{self.MODE}-screen")
        self._polling = False

    @property
    def sandbox(self) -> SandboxAppLike:
        return cast(SandboxAppLike, self.app)

    @property
    def source(self) -> DataSource:
        return self.sandbox.source

    def frame_top(self) -> ComposeResult:
        yield ModeBar(self.MODE)

    def frame_bottom(self) -> ComposeResult:
        yield BusyLine()
        yield KeyBar(self.MODE)

    # -- background tasks -----------------------------------------------------------------

    def background(
        self, label: str, job: Callable[[], T], then: Callable[[T], None] = _ignore,
        quiet: bool = False,
    ) -> None:  # fmt: skip
        """Run `job` in a thread; then `then(value)` on the UI thread, or show the error."""
        self.query_one(BusyLine).begin(label)
        self._run(label, job, cast(Callable[[Any], None], then), quiet)

    @work(thread=True, group="tasks")
    def _run(self, label: str, job: Callable[[], Any], then: Callable[[Any], None],
             quiet: bool) -> None:  # fmt: skip
        try:
            value = job()
        except Exception as err:  # every error reaches the learner as a message, not a crash
            self.post_message(TaskFailed(label, as_sandbox_error(err), quiet))
            return
        self.post_message(TaskDone(label, value, then))

    @on(TaskDone)
    def _task_done(self, message: TaskDone) -> None:
        self.query_one(BusyLine).end(message.label)
        message.then(message.value)

    @on(TaskFailed)
    def _task_failed(self, message: TaskFailed) -> None:
        self.query_one(BusyLine).end(message.label)
        self.task_failed(message.label, message.error)
        if message.quiet:
            self.notify(message.error.render(), title=f"could not {message.label}",
                        severity="error", markup=False)  # fmt: skip
        else:
            self.app.push_screen(ErrorScreen(f"Could not {message.label}", message.error.render()))

    def task_failed(self, label: str, error: SandboxError) -> None:
        """A screen's own reaction to a failure (besides the message)."""

    # -- sections (a SectionBar over a ContentSwitcher) -----------------------------------

    def action_section(self, name: str) -> None:
        self.query_one(ContentSwitcher).current = name
        self.query_one(SectionBar).select(name)

    def action_next_section(self) -> None:
        self.action_section(self.query_one(SectionBar).following())

    # -- polling --------------------------------------------------------------------------

    def start_polling(self) -> None:
        self.set_interval(self.sandbox.poll_interval, self._tick)
        self.call_after_refresh(self._tick, True)

    def _tick(self, force: bool = False) -> None:
        if self._polling or not (force or self.is_current):
            return
        self._polling = True
        self._poll_worker()

    @work(thread=True, group="poll")
    def _poll_worker(self) -> None:
        try:
            self.poll()
        except Exception as err:  # a screen's poll reports its own errors; this is a backstop
            self.log.error(f"poll failed: {err!r}")
        finally:
            self._polling = False

    def poll(self) -> None:
        """Runs in a thread every poll interval while the screen is shown; posts messages."""


def as_sandbox_error(err: Exception) -> SandboxError:
    if isinstance(err, SandboxError):
        return err
    hint = "this is a bug in the sandbox TUI; the same command in the CLI may say more"
    return SandboxError(f"unexpected {type(err).__name__}: {err}", hint)
