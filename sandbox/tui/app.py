"""The Textual app: its modes (one screen each), its bindings, and nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.screen import Screen

from sandbox.tui.commands import bindings
from sandbox.tui.palette import system_commands
from sandbox.tui.screens.data import DataScreen
from sandbox.tui.screens.help import HelpScreen
from sandbox.tui.screens.labs import LabsScreen
from sandbox.tui.screens.metrics import MetricsScreen
from sandbox.tui.screens.serverless import ServerlessScreen
from sandbox.tui.screens.stack import StackScreen
from sandbox.tui.source import DataSource, RealSource


class SandboxApp(App[None]):
    TITLE = "sandbox"
    CSS_PATH = Path(__file__).parent / "sandbox.tcss"  # absolute: subclasses live elsewhere
    MODES: ClassVar[dict[str, str | type[Screen[None]]]] = {  # type: ignore[assignment]
        "stack": StackScreen,
        "serverless": ServerlessScreen,
        "data": DataScreen,
        "metrics": MetricsScreen,
        "labs": LabsScreen,
    }
    DEFAULT_MODE = "stack"
    BINDINGS: ClassVar[list[BindingType]] = bindings("")

    def __init__(
        self, source: DataSource | None = None, *, poll_interval: float = 1.0,
        cursor_blink: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        self.source: DataSource = source or RealSource()
        self.poll_interval = poll_interval
        self.cursor_blink = cursor_blink
        self.quitting = False

    async def action_quit(self) -> None:
        """Quit once running tasks finish (a half-done start or grading would leave the stack
        half-changed); asked twice, quit now (still waiting for them, without a screen)."""
        if self.quitting or not self.busy():
            self.exit()
            return
        self.quitting = True
        self.notify("Quitting when the running task finishes (ctrl+q again: quit now).")
        self.set_interval(0.2, lambda: None if self.busy() else self.exit())

    def busy(self) -> bool:
        return any(w.group == "tasks" and not w.is_finished for w in self.workers)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.current_mode))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from system_commands(self)
