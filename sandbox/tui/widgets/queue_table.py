"""SQS queues: messages visible and in flight, and the depth of each one's dead-letter queue."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from sandbox.tui.models import QueueRow
from sandbox.tui.theme import Palette, palette, plain, styled


class QueueTable(DataTable[Text]):
    def __init__(self) -> None:
        super().__init__(id="sqs", cursor_type="row")
        self.border_title = "SQS queues"

    def on_mount(self) -> None:
        self.add_columns("QUEUE", "VISIBLE", "IN FLIGHT", "DLQ DEPTH")

    def show(self, rows: list[QueueRow]) -> None:
        colours = palette(self.app)
        self.clear()
        for row in rows:
            self.add_row(plain(row.queue), plain(str(row.visible)), plain(str(row.in_flight)),
                         dlq_cell(row, colours))  # fmt: skip


def dlq_cell(row: QueueRow, colours: Palette) -> Text:
    if row.dead_letter:
        return styled(colours, "(is a DLQ)", "text-muted")
    if row.dlq_depth is None:
        return styled(colours, "-", "text-muted")
    colour = "text-error" if row.dlq_depth else "text-success"
    return styled(colours, str(row.dlq_depth), colour)
