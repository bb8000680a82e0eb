"""`?`: every key binding, the current screen's first, each with the CLI command doing the same."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from sandbox.tui.commands import SCREENS, Action, actions, key_label, title_of


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close"),
    ]

    def __init__(self, current: str) -> None:
        super().__init__(classes="dialog-screen")
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help-dialog"):
            yield Label("Keys  (Esc closes; ctrl+p searches every action)", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(help_text(self.current), id="help-text")


def help_text(current: str) -> Content:
    order = [current, "", *[s.mode for s in SCREENS if s.mode != current]]
    sections = [section(mode, actions(mode)) for mode in order if actions(mode)]
    return Content("\n\n").join(sections)


def section(mode: str, found: list[Action]) -> Content:
    lines = [Content.styled(title_of(mode), "bold $text-accent")]
    for action in found:
        cli = Content.styled(f"  {action.cli}", "$text-muted") if action.cli else Content("")
        lines.append(Content.assemble((f"  {key_label(action.key):<8}", "bold"),
                                      f"{action.description:<40}", cli))  # fmt: skip
    return Content("\n").join(lines)
