"""Every lab with its best score and how many checks passed."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sandbox.tui.models import LabRow


class LabList(OptionList):
    def __init__(self) -> None:
        super().__init__(id="lab-list")
        self.border_title = "Labs"

    def show(self, rows: list[LabRow]) -> None:
        highlighted = self.highlighted
        self.clear_options()
        self.add_options([Option(label(row), id=row.id) for row in rows])
        if rows:
            self.highlighted = min(highlighted or 0, len(rows) - 1)

    @property
    def selected(self) -> str | None:
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id


def label(row: LabRow) -> Content:
    style = "$text-success" if row.score == row.max_score and row.max_score else ""
    started = "" if row.started else "  (not started)"
    return Content.assemble(
        ("▶ " if row.running else "", "$text-success"),
        (row.id, "bold"),
        (f"  {row.score}/{row.max_score} pts", style),
        (f"  {row.checks_passed}/{row.checks} checks{started}", "$text-muted"),
        ("  running: l leaves it" if row.running else "", "$text-success"),
    )
