"""What `deploy` created, updated or left alone."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from sandbox.aws.deploy import DeployResult
from sandbox.tui.theme import palette, plain, styled

ACTION_COLOUR = {"created": "text-success", "updated": "text-warning", "unchanged": "text-muted"}


class ResourcesTable(DataTable[Text]):
    def __init__(self) -> None:
        super().__init__(id="resources", cursor_type="row")

    def on_mount(self) -> None:
        self.add_columns("KIND", "NAME", "ACTION", "DETAIL")

    def show(self, result: DeployResult) -> None:
        colours = palette(self.app)
        self.clear()
        for r in result.resources:
            action = styled(colours, r.action, ACTION_COLOUR.get(r.action, ""))
            self.add_row(plain(r.kind), plain(r.name), action, plain(r.detail))
