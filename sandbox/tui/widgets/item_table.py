"""Rows of dicts (DynamoDB items, S3 objects) as a table, filtered by a substring."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from sandbox.tui.logstyle import matches

MAX_COLUMNS = 8
MAX_CELL = 48


class ItemTable(DataTable[Text]):
    def __init__(self, id: str) -> None:
        super().__init__(id=id, cursor_type="row", classes="item-table")
        self.items: list[dict[str, Any]] = []
        self.needle = ""
        self.caption = ""

    def show(self, items: list[dict[str, Any]], title: str) -> None:
        self.items = items
        self.caption = title
        self.redraw()

    def set_filter(self, needle: str) -> None:
        self.needle = needle
        self.redraw()

    def redraw(self) -> None:
        self.clear(columns=True)
        kept = [i for i in self.items if matches(json.dumps(i, default=str), self.needle)]
        columns = _columns(kept or self.items)
        self.add_columns(*[Text(c.upper()) for c in columns])
        for item in kept:
            self.add_row(*[cell(item.get(c)) for c in columns])
        shown = f"{len(kept)} of {len(self.items)}" if self.needle else str(len(self.items))
        self.border_title = f"{self.caption} ({shown})"


def _columns(items: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for item in items:
        names += [key for key in item if key not in names]
    return names[:MAX_COLUMNS]


def cell(value: Any) -> Text:
    """The value as plain text (never markup: items hold whatever the learner wrote)."""
    if value is None:
        return Text("")
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return Text(text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…", end="")
