"""The top line: every screen with its key; the current one highlighted; click to switch."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from sandbox.tui.commands import SCREENS


class ModeBar(Static):
    def __init__(self, current: str) -> None:
        super().__init__(self.line(current), classes="mode-bar")

    @staticmethod
    def line(current: str) -> Content:
        parts = ["[bold $text-accent] sandbox [/]"]
        for screen in SCREENS:
            style = "reverse bold " if screen.mode == current else ""
            click = f"@click=app.switch_mode('{screen.mode}')"
            parts.append(f"[{style}{click}] {screen.key} {screen.title} [/]")
        parts.append("[$text-muted]  ? help[/]")
        return Content.from_markup("".join(parts))
