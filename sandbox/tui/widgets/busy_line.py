"""One line saying what is running in the background, with a spinner while anything is."""

from __future__ import annotations

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class BusyLine(Static):
    def __init__(self) -> None:
        super().__init__("", id="busy")
        self.tasks: list[str] = []
        self.frame = 0
        self.timer: Timer | None = None

    def begin(self, label: str) -> None:
        self.tasks.append(label)
        if self.timer is None:
            self.timer = self.set_interval(0.15, self.spin)
        self.draw()

    def end(self, label: str) -> None:
        if label in self.tasks:
            self.tasks.remove(label)
        if not self.tasks and self.timer is not None:
            self.timer.stop()
            self.timer = None
        self.draw()

    def spin(self) -> None:
        self.frame = (self.frame + 1) % len(FRAMES)
        self.draw()

    def draw(self) -> None:
        self.set_class(bool(self.tasks), "-busy")
        if not self.tasks:
            self.update("")
            return
        text = f" {FRAMES[self.frame]} {', '.join(self.tasks)} …"
        self.update(Content.styled(text, "$text-accent"))
