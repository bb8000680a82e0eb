"""Requests per route and status since the app started (from http_requests_total)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from sandbox.tui.metrics import Route
from sandbox.tui.theme import palette, plain, styled


class RoutesTable(DataTable[Text]):
    def __init__(self) -> None:
        super().__init__(id="routes", cursor_type="row")

    def on_mount(self) -> None:
        self.add_columns("METHOD", "ROUTE", "STATUS", "REQUESTS")

    def show(self, routes: tuple[tuple[Route, float], ...]) -> None:
        colours = palette(self.app)
        self.clear()
        for (method, route, status), count in routes:
            colour = {"5": "text-error", "4": "text-warning"}.get(status[:1], "")
            self.add_row(plain(method), plain(route), styled(colours, status, colour),
                         plain(f"{count:,.0f}"))  # fmt: skip
