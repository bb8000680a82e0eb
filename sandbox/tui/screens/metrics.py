"""The Metrics screen: the app's request rate, latency, errors and cache hit ratio, live."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from sandbox.tui.commands import bindings
from sandbox.tui.fmt import number
from sandbox.tui.messages import MetricsUpdated
from sandbox.tui.metrics import MetricsView
from sandbox.tui.screens.base import SandboxScreen
from sandbox.tui.widgets.metric_tile import MetricTile
from sandbox.tui.widgets.routes_table import RoutesTable

TILES = (("rate", "requests/s"), ("latency", "latency"), ("errors", "5xx/s"),
         ("hit_ratio", "cache hits"))  # fmt: skip


class MetricsScreen(SandboxScreen):
    MODE = "metrics"
    AUTO_FOCUS = "#routes"
    BINDINGS: ClassVar[list[BindingType]] = bindings("metrics")

    def compose(self) -> ComposeResult:
        yield from self.frame_top()
        yield Static("", id="metrics-summary")
        with Horizontal(id="tiles"):
            for key, title in TILES:
                yield MetricTile(key, title)
        yield RoutesTable()
        yield from self.frame_bottom()

    def on_mount(self) -> None:
        self.start_polling()

    def poll(self) -> None:
        self.post_message(MetricsUpdated(self.source.metrics()))

    def action_refresh(self) -> None:
        self._tick(True)

    @on(MetricsUpdated)
    def _show(self, message: MetricsUpdated) -> None:
        view = message.view
        self.query_one("#metrics-summary", Static).update(summary(view))
        history = view.history
        values = tile_values(view)
        for key, _ in TILES:
            self.query_one(f"#tile-{key}", MetricTile).show(values[key], history.get(key, ()))
        if view.ok:
            self.query_one(RoutesTable).show(view.routes)


def tile_values(view: MetricsView) -> dict[str, str]:
    if not view.ok:
        return {key: "-" for key, _ in TILES}
    ratio = "-" if view.hit_ratio is None else f"{view.hit_ratio:.0%}"
    latency = "-" if view.latency_ms is None else f"{view.latency_ms:.1f} ms"
    if view.p95_ms is not None:
        latency += f" p95≤{view.p95_ms:g}"
    return {"rate": number(view.rate), "latency": latency, "errors": number(view.error_rate),
            "hit_ratio": ratio}  # fmt: skip


def summary(view: MetricsView) -> Content:
    if not view.ok:
        return Content.styled(f" {view.message}", "$text-warning")
    return Content.styled(" from the app's /metrics (not counting the scrapes themselves)",
                          "$text-muted")  # fmt: skip
