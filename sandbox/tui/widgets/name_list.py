"""A titled list of names (DynamoDB tables, S3 buckets) that keeps its selection on reload."""

from __future__ import annotations

from textual.widgets import OptionList
from textual.widgets.option_list import Option


class NameList(OptionList):
    def __init__(self, title: str, id: str) -> None:
        super().__init__(id=id, classes="name-list")
        self.border_title = title

    def show(self, names: list[str]) -> None:
        current = self.selected
        self.clear_options()
        self.add_options([Option(name, id=name) for name in names])
        if names:
            self.highlighted = names.index(current) if current in names else 0

    @property
    def selected(self) -> str | None:
        if self.highlighted is None or not self.option_count:
            return None
        return self.get_option_at_index(self.highlighted).id
