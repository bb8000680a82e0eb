"""The payload form: pick a source, edit the JSON, then fire it for real or invoke directly.

fire:   the JSON is the event's data, sent through the emulator's delivery path
        (`sandbox fire SOURCE --data JSON`)
invoke: the JSON is a whole sample event in the shape AWS delivers it, handed straight to
        the function (`sandbox events sample SOURCE | sandbox invoke --event -`)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static, TextArea

from sandbox.aws.events import SOURCES

DEFAULT_DATA = {"order_id": "o-1001", "note": "fired from the TUI"}
MODES = [("fire: real delivery; JSON = the data", "fire"),
         ("invoke: JSON = the whole event", "invoke")]  # fmt: skip


@dataclass(frozen=True)
class FireRequest:
    source: str
    mode: str  # fire | invoke
    payload: dict[str, Any]


class FireForm(ModalScreen[FireRequest | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "send", "Send"),
    ]

    def __init__(self, sample: Callable[[str], dict[str, Any]], blink: bool = True) -> None:
        super().__init__(classes="dialog-screen")
        self.sample, self.blink = sample, blink

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Label("Fire or invoke with your own payload", classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Select([(s, s) for s in SOURCES], value="s3", allow_blank=False,
                             id="form-source")  # fmt: skip
                yield Select(MODES, value="fire", allow_blank=False, id="form-mode")
            editor = TextArea(self.text_for("s3", "fire"), id="form-payload", soft_wrap=True)
            editor.cursor_blink = self.blink
            yield editor
            yield Static("", id="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Send (ctrl+s)", variant="primary", id="form-send")
                yield Button("Cancel (esc)", id="form-cancel")

    def text_for(self, source: str, mode: str) -> str:
        payload = DEFAULT_DATA if mode == "fire" else self.sample(source)
        return json.dumps(payload, indent=2)

    @on(Select.Changed)
    def _reload(self) -> None:
        source, mode = self._choice()
        self.query_one("#form-payload", TextArea).text = self.text_for(source, mode)

    def _choice(self) -> tuple[str, str]:
        source = self.query_one("#form-source", Select).value
        mode = self.query_one("#form-mode", Select).value
        return str(source), str(mode)

    @on(Button.Pressed, "#form-send")
    def action_send(self) -> None:
        source, mode = self._choice()
        try:
            payload = json.loads(self.query_one("#form-payload", TextArea).text)
        except json.JSONDecodeError as err:
            self._problem(f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}")
            return
        if not isinstance(payload, dict):
            self._problem('the payload must be a JSON object, like {"order_id": "o-1"}')
            return
        self.dismiss(FireRequest(source, mode, payload))

    def _problem(self, text: str) -> None:
        self.query_one("#form-error", Static).update(text)

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
