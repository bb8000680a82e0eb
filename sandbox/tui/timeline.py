"""One fired event as a row of hops: sent -> Lambda invoked -> DynamoDB item written.

Built from what the core returns (a FireResult, an invoke answer) or raises (an
EventTimeout names the hop that did not happen; any other error means the send failed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sandbox.aws.events import EventTimeout, FireResult
from sandbox.errors import SandboxError

SENT, INVOKED, ITEM = "sent", "Lambda invoked", "item written"


class HopState(StrEnum):
    PENDING = "pending"
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Hop:
    name: str
    state: HopState = HopState.PENDING
    at_ms: float | None = None  # milliseconds after the send started
    detail: str = ""
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventRecord:
    number: int
    source: str
    at: float  # epoch seconds when it was fired
    kind: str = "fire"  # fire (real delivery) | invoke (direct, a sample event)
    hops: tuple[Hop, ...] = ()
    fire_id: str = ""
    latency_ms: float | None = None
    item: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return all(h.state is not HopState.PENDING for h in self.hops)

    @property
    def failed(self) -> bool:
        return any(h.state is HopState.FAILED for h in self.hops)


def pending(number: int, source: str, at: float, kind: str = "fire") -> EventRecord:
    names = (SENT, INVOKED, ITEM) if kind == "fire" else (SENT, INVOKED)
    return EventRecord(number, source, at, kind, tuple(Hop(n) for n in names))


def from_result(record: EventRecord, result: FireResult) -> EventRecord:
    invoked = result.hops_ms.get("invoked")
    hops = (
        Hop(SENT, HopState.OK, 0.0, _sent_text(result.sent)),
        Hop(INVOKED, HopState.OK, invoked, f"{len(result.logs)} log line(s)", tuple(result.logs)),
        Hop(ITEM, HopState.OK, result.latency_ms, _item_text(result.item)),
    )
    return replace(record, hops=hops, fire_id=result.fire_id, latency_ms=result.latency_ms,
                   item=result.item)  # fmt: skip


def from_error(record: EventRecord, error: SandboxError) -> EventRecord:
    """Mark the hop that failed; the ones before it passed, the ones after never ran."""
    failed_at = failed_hop(error)
    names = [hop.name for hop in record.hops]
    hops = []
    for index, name in enumerate(names):
        if index < names.index(failed_at):
            hops.append(Hop(name, HopState.OK))
        elif name == failed_at:
            hops.append(Hop(name, HopState.FAILED, detail=error.render()))
        else:
            hops.append(Hop(name, HopState.SKIPPED))
    return replace(record, hops=tuple(hops))


def failed_hop(error: SandboxError) -> str:
    if not isinstance(error, EventTimeout):
        return SENT
    text = error.message
    if "was not invoked" in text or "invoked and failed" in text:
        return INVOKED
    return ITEM


def from_invoke(record: EventRecord, answer: dict[str, Any]) -> EventRecord:
    failed = bool(answer.get("function_error"))
    state = HopState.FAILED if failed else HopState.OK
    detail = f"{answer.get('function_error')}: " if failed else ""
    hops = (
        Hop(SENT, HopState.OK, 0.0, f"lambda invoke (status {answer.get('status_code')})"),
        Hop(INVOKED, state, None, detail + compact(answer.get("result")),
            tuple(answer.get("log", []))),
    )  # fmt: skip
    return replace(record, hops=hops)


def _item_text(item: dict[str, Any] | None) -> str:
    table = "in the events table" if item else ""
    return f"{item.get('event_id', '')} {table}".strip() if item else "-"


def _sent_text(sent: dict[str, Any]) -> str:
    action = str(sent.get("action", "sent"))
    rest = {k: v for k, v in sent.items() if k not in ("action", "body", "message", "Detail")}
    return f"{action} " + " ".join(str(v) for v in rest.values())


def compact(value: Any, limit: int = 400) -> str:
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"
