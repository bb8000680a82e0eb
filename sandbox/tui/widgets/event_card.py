"""One fired event in the timeline: each hop with its state and time, then what it produced
(the function's log lines, the item written, or the failure where it happened)."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from sandbox.tui.fmt import clock, ms
from sandbox.tui.logstyle import pretty
from sandbox.tui.timeline import ITEM, EventRecord, Hop, HopState

MARKS = {
    HopState.PENDING: ("…", "$text-muted"),
    HopState.OK: ("✓", "$text-success"),
    HopState.FAILED: ("✗", "$text-error"),
    HopState.SKIPPED: ("·", "$text-muted"),
}
MAX_LOG_LINES = 6
MAX_ITEM_FIELDS = 6


class EventCard(Vertical):
    def __init__(self, record: EventRecord) -> None:
        super().__init__(classes="event-card")
        self.record = record

    def on_mount(self) -> None:
        self.show(self.record)

    def show(self, record: EventRecord) -> None:
        self.record = record
        self.set_class(record.failed, "-failed")
        self.set_class(record.done and not record.failed, "-ok")
        self.border_title = title(record)
        self.remove_children()
        self.mount_all(blocks(record))


def title(record: EventRecord) -> str:
    kind = "fired" if record.kind == "fire" else "invoked directly"
    head = f"#{record.number} {record.source} {kind} at {clock(record.at)} UTC"
    if record.latency_ms is not None:
        head += f" · {ms(record.latency_ms)} send→item"
    return head


def blocks(record: EventRecord) -> list[Static]:
    found: list[Static] = []
    for hop in record.hops:
        found.append(Static(hop_line(hop), classes="hop"))
        if hop.state is HopState.FAILED:
            found.append(Static(Content.styled(hop.detail, "$text-error"), classes="hop-error"))
        elif hop.lines:
            found.append(Static(log_lines(hop.lines), classes="hop-lines"))
        elif hop.name == ITEM and hop.state is HopState.OK and record.item:
            found.append(Static(item_lines(record.item), classes="hop-lines"))
    return found


def hop_line(hop: Hop) -> Content:
    mark, style = MARKS[hop.state]
    when = f"+{ms(hop.at_ms)}" if hop.at_ms is not None and hop.at_ms > 0 else ""
    detail = {HopState.PENDING: "waiting", HopState.FAILED: "failed here",
              HopState.SKIPPED: "did not happen"}.get(hop.state, hop.detail)  # fmt: skip
    return Content.assemble(
        (f"{mark} ", style),
        (f"{hop.name:<15}", "bold"),
        (f"{when:>10}  ", "$text-accent"),
        (detail, "$text-muted" if hop.state is not HopState.OK else ""),
    )


def log_lines(lines: tuple[str, ...]) -> Content:
    shown = [f"│ {pretty(line)}" for line in lines[:MAX_LOG_LINES]]
    if len(lines) > MAX_LOG_LINES:
        shown.append(f"│ … {len(lines) - MAX_LOG_LINES} more")
    return Content.styled("\n".join(shown), "$text-muted")


def item_lines(item: dict[str, Any]) -> Content:
    fields = list(item.items())[:MAX_ITEM_FIELDS]
    return Content("\n").join(
        Content.assemble(("│ ", "$text-muted"), (f"{key}: ", "bold"), _value(value))
        for key, value in fields
    )


def _value(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
