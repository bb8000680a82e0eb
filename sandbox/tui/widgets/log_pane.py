"""The selected service's log: follows new lines, highlights levels, filters with `/`."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Log

from sandbox.tui.logstyle import LevelHighlighter, matches, pretty

KEEP = 2000  # lines kept per service


class LogPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", show=False)
    ]

    def __init__(self, blink: bool = True) -> None:
        super().__init__(id="log-pane")
        self.blink = blink
        self.service = ""
        self.needle = ""
        self.buffer: deque[tuple[str, str]] = deque(maxlen=KEEP)  # (as written, as shown)

    def compose(self) -> ComposeResult:
        log = Log(highlight=True, max_lines=KEEP, id="log")
        log.highlighter = LevelHighlighter(self.app.get_css_variables)
        yield log
        field = Input(placeholder="filter: type text, Enter keeps it, Esc clears", id="log-filter")
        field.cursor_blink = self.blink
        yield field

    @property
    def view(self) -> Log:
        return self.query_one("#log", Log)

    @property
    def shown(self) -> list[str]:
        return list(self.view.lines)

    def show(self, service: str, lines: list[str]) -> None:
        self.service = service
        self.buffer.clear()
        self.view.clear()
        self.add(lines)

    def add(self, lines: list[str]) -> None:
        pairs = [(line, pretty(line)) for line in lines]
        self.buffer.extend(pairs)
        kept = self._kept(pairs)
        if kept:
            self.view.write_lines(kept)
        self.retitle()

    def _kept(self, pairs: Iterable[tuple[str, str]]) -> list[str]:
        """The shown form of the lines whose raw or shown form matches the filter."""
        return [shown for raw, shown in pairs
                if matches(shown, self.needle) or matches(raw, self.needle)]  # fmt: skip

    def open_filter(self) -> None:
        field = self.query_one("#log-filter", Input)
        field.add_class("-open")
        field.focus()

    def set_filter(self, needle: str) -> None:
        self.needle = needle
        self.view.clear()
        self.view.write_lines(self._kept(self.buffer))
        self.retitle()

    def retitle(self) -> None:
        title = f"log: {self.service or '-'}"
        if self.needle:
            title += f"  filter {self.needle!r}: {self.view.line_count} of {len(self.buffer)}"
        self.border_title = title

    @on(Input.Changed, "#log-filter")
    def _changed(self, event: Input.Changed) -> None:
        self.set_filter(event.value)

    @on(Input.Submitted, "#log-filter")
    def _submitted(self) -> None:
        self.view.focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#log-filter", Input)
        field.value = ""
        field.remove_class("-open")
        self.set_filter("")
        self.view.focus()
