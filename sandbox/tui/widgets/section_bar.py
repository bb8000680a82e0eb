"""The sections of a screen as one line (the current one highlighted); click one, or press
`t` for the next. (Textual's tabs are not used: they can fail when a screen is switched to
while it is still being built.)"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class SectionBar(Static):
    def __init__(self, sections: list[tuple[str, str]], id: str) -> None:
        super().__init__(classes="section-bar", id=id)
        self.sections = sections
        self.current = sections[0][0]

    def on_mount(self) -> None:
        self.select(self.current)

    def select(self, section: str) -> None:
        self.current = section
        parts = []
        for name, title in self.sections:
            style = "reverse bold " if name == section else "$text-muted "
            parts.append(f"[{style}@click=screen.section('{name}')] {title} [/]")
        self.update(Content.from_markup(" ".join(parts) + "  [$text-muted](t: next)[/]"))

    def following(self) -> str:
        names = [name for name, _ in self.sections]
        return names[(names.index(self.current) + 1) % len(names)]
