"""The bottom line: the screen's keys (click one to do it), then the palette (the top line
shows `?` for help).

Built once from the action table (commands.py) for its screen; Textual's Footer would be
rebuilt on every screen switch, which costs about 100 ms here.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from sandbox.tui.commands import actions, key_label


class KeyBar(Static):
    def __init__(self, mode: str) -> None:
        super().__init__(line(mode), classes="key-bar")


def line(mode: str) -> Content:
    parts = [_key(f"screen.{a.action}", a.key, a.label) for a in actions(mode) if a.footer]
    parts.append(_key("app.command_palette", "ctrl+p", "palette"))
    return Content.from_markup(" ".join(parts))


def _key(action: str, key: str, label: str) -> str:
    shown = key_label(key).replace("ctrl+", "^")
    escaped = action.replace("[", "\\[")
    return f"[@click={escaped}][bold $text-accent]{shown}[/] {label}[/]"
