"""The little of ASGI the chaos layer needs: types, a whole-body read, a replay, a reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(Exception):
    """The request body passed the limit it was read with."""


@dataclass(frozen=True)
class Reply:
    """A whole HTTP response: status, headers (name, value) and body."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


async def read_body(receive: Receive, limit: int | None = None) -> list[Message]:
    """Every `http.request` message of the request (a disconnect ends the list early)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if limit is not None and size > limit:
            raise BodyTooLarge(f"the request body is over {limit} bytes")
        if not message.get("more_body", False):
            return messages


def joined(messages: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that hands out `messages` again, then defers to the real one (which then
    only ever reports the disconnect)."""
    pending = list(messages)

    async def again() -> Message:
        return pending.pop(0) if pending else await receive()

    return again


async def send_reply(send: Send, reply: Reply, head: bool = False) -> None:
    """Send `reply`; a HEAD request gets its headers only, as HTTP requires."""
    body = b"" if head else reply.body
    headers = [
        *reply.headers,
        ("content-length", str(len(body))),
        ("date", formatdate(usegmt=True)),
    ]
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    await send({"type": "http.response.start", "status": reply.status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
