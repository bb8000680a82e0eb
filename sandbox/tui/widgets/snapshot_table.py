"""The saved snapshots: name, when (UTC), size, kind, and what made them."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import DataTable

from sandbox.tui.models import SnapshotRow
from sandbox.tui.theme import palette, plain, styled

KIND_COLOURS = {"user": "text-accent", "damaged": "text-error"}


class SnapshotTable(DataTable[Text]):
    def __init__(self) -> None:
        super().__init__(id="snapshots", cursor_type="row")
        self.border_title = "Snapshots (sandbox snapshot save/load NAME)"

    def on_mount(self) -> None:
        self.add_columns("NAME", "CREATED (UTC)", "SIZE", "KIND", "MADE WITH")

    def show(self, rows: list[SnapshotRow]) -> None:
        colours = palette(self.app)
        self.clear()
        for row in reversed(rows):  # newest first
            kind = styled(colours, row.kind, KIND_COLOURS.get(row.kind, "text-muted"))
            self.add_row(plain(row.name), plain(_when(row.created)), plain(size(row.size)),
                         kind, plain(row.made_with))  # fmt: skip


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))


def size(value: int) -> str:
    if value < 1024:
        return f"{value} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} KB"
    return f"{value / 1024 / 1024:.1f} MB"
