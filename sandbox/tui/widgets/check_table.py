"""A lab's checks with their live status: not run, waiting, running, passed, failed, unknown."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from sandbox.labs.checks.base import Status
from sandbox.labs.runner import CheckResult
from sandbox.tui.models import CheckRow
from sandbox.tui.theme import palette, plain, styled

MARKS = {
    "not run": ("·", "text-muted"),
    "waiting": ("…", "text-muted"),
    "running": ("▶", "text-accent"),
    Status.PASSED: ("✓", "text-success"),
    Status.FAILED: ("✗", "text-error"),
    Status.UNKNOWN: ("?", "text-warning"),
}


class CheckTable(DataTable[Text]):
    def __init__(self) -> None:
        super().__init__(id="checks", cursor_type="row")
        self.border_title = "Checks"
        self.checks: dict[str, CheckRow] = {}
        self.states: dict[str, str] = {}
        self.results: dict[str, CheckResult] = {}

    def on_mount(self) -> None:
        self.add_column("", key="mark", width=2)
        self.add_column("CHECK", key="check")
        self.add_column("PTS", key="points")

    def show(self, checks: tuple[CheckRow, ...]) -> None:
        self.clear()
        self.checks = {c.id: c for c in checks}
        self.states = {c.id: "not run" for c in checks}
        self.results = {}
        for check in checks:
            self.add_row(self.mark("not run"), plain(check.id), plain(str(check.points)),
                         key=check.id)  # fmt: skip

    def set_state(self, check_id: str, state: str, result: CheckResult | None = None) -> None:
        if check_id not in self.checks:
            return
        self.states[check_id] = state
        self.update_cell(check_id, "mark", self.mark(state))
        if result is not None:
            self.results[check_id] = result
            points = plain(f"{result.points}/{result.max_points}")
            self.update_cell(check_id, "points", points, update_width=True)

    @property
    def selected(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def mark(self, state: str) -> Text:
        symbol, colour = MARKS.get(state, ("·", ""))
        return styled(palette(self.app), symbol, colour, bold=True)
