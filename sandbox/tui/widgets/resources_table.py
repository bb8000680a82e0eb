"""What `deploy` created, updated or left alone."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from sandbox.aws.deploy import DeployResult, Resource
from sandbox.aws.inventory import Deployment
from sandbox.tui.theme import palette, plain, styled

ACTION_COLOUR = {
    "created": "text-success",
    "updated": "text-warning",
    "unchanged": "text-muted",
    "found": "text-muted",
}


class ResourcesTable(DataTable[Text]):
    def __init__(self) -> None:
        super().__init__(id="resources", cursor_type="row")

    def on_mount(self) -> None:
        self.add_columns("KIND", "NAME", "ACTION", "DETAIL")

    def show(self, result: DeployResult) -> None:
        self.show_rows(result.resources)

    def show_found(self, found: Deployment) -> None:
        """What the emulator has (read, not deployed from here)."""
        self.show_rows(found.resources)

    def show_rows(self, resources: list[Resource]) -> None:
        colours = palette(self.app)
        self.clear()
        for r in resources:
            action = styled(colours, r.action, ACTION_COLOUR.get(r.action, ""))
            self.add_row(plain(r.kind), plain(r.name), action, plain(r.detail))
