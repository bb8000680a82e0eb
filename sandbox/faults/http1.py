"""Where each HTTP/1.1 request begins in a client's byte stream, for the HTTP toxics.

The framer holds no bytes back: it reads the request heads it sees go by (a copy, at most
64 KiB), learns each body's length (Content-Length or chunked) and so knows where the next
request begins. A stream it cannot follow (an upgrade, CONNECT, a malformed head) is passed
through from then on: a fault proxy must never break traffic it does not understand.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum, auto
from http import HTTPStatus

HEAD_LIMIT = 64 * 1024


class _State(Enum):
    IDLE = auto()  # between requests: the next non-CRLF byte starts one
    HEAD = auto()
    BODY = auto()
    CHUNK_SIZE = auto()
    CHUNK_DATA = auto()
    TRAILERS = auto()
    PASS = auto()  # gave up following; everything passes


class RequestFramer:
    """Splits a stream into pieces, each marked True when a request begins with it."""

    def __init__(self) -> None:
        self._state = _State.IDLE
        self._buffer = bytearray()  # the head or line read so far (a copy)
        self._remaining = 0

    def split(self, data: bytes) -> list[tuple[bool, bytes]]:
        pieces: list[tuple[bool, bytes]] = []
        start, starts, pos = 0, False, 0
        while pos < len(data):
            if self._state is _State.IDLE and data[pos] not in b"\r\n":
                if pos > start:
                    pieces.append((starts, data[start:pos]))
                start, starts = pos, True
                self._state = _State.HEAD
            pos = self._step(data, pos)
        if start < len(data):
            pieces.append((starts, data[start:]))
        return pieces

    def _step(self, data: bytes, pos: int) -> int:
        state = self._state
        if state is _State.IDLE:
            return pos + 1
        if state is _State.HEAD:
            return self._head(data, pos)
        if state in (_State.BODY, _State.CHUNK_DATA):
            return self._body(data, pos)
        if state is _State.CHUNK_SIZE:
            return self._line(data, pos, self._chunk_size)
        if state is _State.TRAILERS:
            return self._line(data, pos, self._trailer)
        return len(data)

    def _head(self, data: bytes, pos: int) -> int:
        seen = len(self._buffer)
        self._buffer += data[pos:]
        end = self._buffer.find(b"\r\n\r\n", max(0, seen - 3))
        if end < 0:
            if len(self._buffer) > HEAD_LIMIT:
                self._give_up()
            return len(data)
        head = bytes(self._buffer[:end])
        self._buffer.clear()
        self._after_head(head)
        return pos + end + 4 - seen

    def _after_head(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        headers = _headers(lines[1:])
        method = lines[0].split(" ", 1)[0].upper()
        if method == "CONNECT" or "upgrade" in headers.get("connection", "").lower():
            self._give_up()
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._state = _State.CHUNK_SIZE
        else:
            self._expect_body(headers.get("content-length", "0").strip())

    def _expect_body(self, length: str) -> None:
        if not length.isdigit():
            self._give_up()
            return
        self._remaining = int(length)
        self._state = _State.BODY if self._remaining else _State.IDLE

    def _body(self, data: bytes, pos: int) -> int:
        taken = min(self._remaining, len(data) - pos)
        self._remaining -= taken
        if not self._remaining:
            self._state = _State.CHUNK_SIZE if self._state is _State.CHUNK_DATA else _State.IDLE
        return pos + taken

    def _line(self, data: bytes, pos: int, on_line: Callable[[bytes], None]) -> int:
        end = data.find(b"\n", pos)
        if end < 0:
            self._buffer += data[pos:]
            if len(self._buffer) > HEAD_LIMIT:
                self._give_up()
            return len(data)
        line = bytes(self._buffer + data[pos:end]).rstrip(b"\r")
        self._buffer.clear()
        on_line(line)
        return end + 1

    def _chunk_size(self, line: bytes) -> None:
        digits = line.split(b";", 1)[0].strip()
        try:
            size = int(digits, 16)
        except ValueError:
            self._give_up()
            return
        self._remaining = size + 2  # the chunk's data and its CRLF
        self._state = _State.CHUNK_DATA if size else _State.TRAILERS

    def _trailer(self, line: bytes) -> None:
        if not line:
            self._state = _State.IDLE

    def _give_up(self) -> None:
        self._state = _State.PASS
        self._buffer.clear()


def _headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def abort_response(status: int, toxic: str) -> bytes:
    """The answer of an http_abort toxic: a problem+json body, and the connection closes."""
    phrase = _phrase(status)
    body = json.dumps(
        {
            "type": "about:blank",
            "title": phrase,
            "status": status,
            "detail": f"injected by the sandbox's fault proxy (toxic {toxic!r})",
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Sandbox-Fault: {toxic}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Injected Fault"
