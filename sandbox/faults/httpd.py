"""A tiny HTTP/1.1 server on asyncio streams: enough for a JSON API on loopback.

Keep-alive, Content-Length and chunked request bodies, bounded heads (64 KiB) and bodies
(1 MiB), idle connections closed after a minute. A handler that raises is answered with a
500 JSON body naming the error (the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("sandbox.faults")

MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
IDLE_TIMEOUT = 60.0  # seconds a kept-alive connection may wait for its next request
READ_TIMEOUT = 15.0  # seconds to receive a request once it has begun


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes = b""
    version: str = "HTTP/1.1"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def json(cls, status: int, value: Any) -> Response:
        return cls(status, json.dumps(value).encode() + b"\n")

    def encode(self, keep_alive: bool) -> bytes:
        lines = [f"HTTP/1.1 {self.status} {_phrase(self.status)}"]
        if self.status != HTTPStatus.NO_CONTENT:
            lines += [f"Content-Type: {self.content_type}", f"Content-Length: {len(self.body)}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


Handler = Callable[[Request], Awaitable[Response]]


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def start(handler: Handler, host: str, port: int) -> asyncio.Server:
    return await asyncio.start_server(partial(_serve, handler), host, port, limit=MAX_HEAD)


async def _serve(
    handler: Handler, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while await _one_exchange(handler, reader, writer):
            pass
    except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
        pass  # the client left or stalled; nothing to answer
    finally:
        writer.close()


async def _one_exchange(
    handler: Handler, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    """Read one request and answer it; False when the connection should close."""
    try:
        request = await _read_request(reader)
    except BadRequest as err:
        body = {"error": err.message, "status": err.status}
        writer.write(Response.json(err.status, body).encode(keep_alive=False))
        await writer.drain()
        return False
    if request is None:
        return False
    keep_alive = _keep_alive(request)
    writer.write((await _answer(handler, request)).encode(keep_alive))
    await writer.drain()
    return keep_alive


async def _answer(handler: Handler, request: Request) -> Response:
    try:
        return await handler(request)
    except Exception as err:
        log.exception("faults: %s %s failed", request.method, request.path)
        message = f"internal error: {type(err).__name__}: {err}; the faults server log has details"
        return Response.json(500, {"error": message, "status": 500})


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    head = await _read_head(reader)
    if head is None:
        return None
    method, target, version, headers = _parse_head(head)
    body = await asyncio.wait_for(_read_body(reader, headers), READ_TIMEOUT)
    return Request(method, urlsplit(target).path, headers, body, version)


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
    except asyncio.IncompleteReadError as err:
        if err.partial.strip():
            raise BadRequest(400, "the request head ended early") from err
        return None  # the client closed between requests
    except asyncio.LimitOverrunError as err:
        raise BadRequest(431, f"the request head is larger than {MAX_HEAD} bytes") from err


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, f"not an HTTP/1.x request line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return parts[0].upper(), parts[1], parts[2], headers


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader)
    length = headers.get("content-length", "0").strip() or "0"
    if not length.isdigit():
        raise BadRequest(400, f"Content-Length is not a number: {length!r}")
    if int(length) > MAX_BODY:
        raise BadRequest(413, f"the request body is larger than {MAX_BODY} bytes")
    return await reader.readexactly(int(length))


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        line = await reader.readline()
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as err:
            raise BadRequest(400, "a chunk size is not a hexadecimal number") from err
        if len(body) + size > MAX_BODY:
            raise BadRequest(413, f"the request body is larger than {MAX_BODY} bytes")
        if size == 0:
            await reader.readuntil(b"\r\n")  # the end of the (ignored) trailers
            return bytes(body)
        body += await reader.readexactly(size + 2)
        del body[-2:]


def _keep_alive(request: Request) -> bool:
    connection = request.headers.get("connection", "").lower()
    if request.version == "HTTP/1.0":
        return connection == "keep-alive"
    return connection != "close"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
