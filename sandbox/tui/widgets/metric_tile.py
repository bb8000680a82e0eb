"""One live number with its recent history as a sparkline."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static


class MetricTile(Vertical):
    def __init__(self, key: str, title: str) -> None:
        super().__init__(id=f"tile-{key}", classes="tile")
        self.border_title = title

    def compose(self) -> ComposeResult:
        yield Static("-", classes="tile-value")
        yield Sparkline([], classes="tile-spark")

    def show(self, value: str, history: Sequence[float]) -> None:
        self.query_one(".tile-value", Static).update(value)
        self.query_one(Sparkline).data = list(history)
