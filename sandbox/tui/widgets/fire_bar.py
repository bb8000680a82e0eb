"""One button per event source (with its key), and one for the payload form."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Label

SOURCES = (("s", "s3", "S3"), ("q", "sqs", "SQS"), ("n", "sns", "SNS"),
           ("e", "eventbridge", "EventBridge"), ("y", "dynamodb", "DynamoDB"),
           ("a", "api", "API Gateway"))  # fmt: skip


class FireBar(Vertical):
    class Fire(Message):
        def __init__(self, source: str) -> None:
            super().__init__()
            self.source = source

    class OpenForm(Message):
        pass

    def __init__(self) -> None:
        super().__init__(id="fire-bar")

    def compose(self) -> ComposeResult:
        yield Label("Fire an event", classes="pane-title")
        for key, source, title in SOURCES:
            yield Button(f"{key}  {title}", id=f"fire-{source}", compact=True)
        yield Button("f  Form…", id="fire-form", compact=True)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        name = (event.button.id or "").removeprefix("fire-")
        self.post_message(self.OpenForm() if name == "form" else self.Fire(name))
