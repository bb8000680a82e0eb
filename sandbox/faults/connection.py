"""One proxied connection: the client's socket, the upstream's socket, a link each way.

The upstream is dialled when the client connects (as Toxiproxy does); what the client
sends meanwhile waits in the upstream link. A side that closes its sending half is passed
on as a half-close, and the connection closes once both directions have finished, or at
once when either socket fails or a toxic closes it. A reset sets SO_LINGER to zero before
closing, so the peers get a TCP RST (ECONNRESET), not a FIN.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Protocol, cast

from sandbox.faults.addresses import Address
from sandbox.faults.link import Link
from sandbox.faults.model import Stream
from sandbox.faults.toxics import Entry

log = logging.getLogger("sandbox.faults")

CONNECT_TIMEOUT = 10.0  # seconds to reach the upstream before the client is closed
RESET_LINGER = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


class ProxyControl(Protocol):
    """The proxy a connection belongs to (implemented by `proxy.Proxy`)."""

    name: str

    def upstream_address(self) -> Address: ...

    def chain(self, direction: Stream) -> tuple[Entry, ...]: ...

    def opened(self, conn: Connection) -> None: ...

    def closed(self, conn: Connection) -> None: ...

    def count(self, stat: str, amount: int = 1) -> None: ...


class Side(asyncio.Protocol):
    """One socket of the connection: it feeds `outgoing` and is the destination of
    `incoming`."""

    def __init__(self, conn: Connection, role: str, outgoing: Link, incoming: Link) -> None:
        self.conn, self.role = conn, role
        self.outgoing, self.incoming = outgoing, incoming
        self.transport: asyncio.Transport | None = None
        self._holds: set[str] = set()
        self._writable: asyncio.Event | None = None  # set while the write buffer is full

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.conn.side_made(self)

    def data_received(self, data: bytes) -> None:
        self.outgoing.feed(data)

    def eof_received(self) -> bool:
        self.outgoing.feed_eof()
        return True  # keep the socket open: the other direction may still be sending

    def connection_lost(self, exc: Exception | None) -> None:
        self._wake_writers()
        self.conn.side_lost(self, exc)

    def pause_writing(self) -> None:
        self._writable = asyncio.Event()
        if self.incoming.source is not None:
            self.incoming.source.hold("destination full", True)

    def resume_writing(self) -> None:
        self._wake_writers()
        if self.incoming.source is not None:
            self.incoming.source.hold("destination full", False)

    # -- link.Endpoint ---------------------------------------------------------------------

    def write(self, data: bytes) -> bool:
        transport = self.transport
        if transport is None or transport.is_closing():
            return False
        transport.write(data)
        return True

    def write_eof(self) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing() and transport.can_write_eof():
            transport.write_eof()

    def hold(self, reason: str, on: bool) -> None:
        before = bool(self._holds)
        if on:
            self._holds.add(reason)
        else:
            self._holds.discard(reason)
        transport = self.transport
        if transport is None or transport.is_closing() or before == bool(self._holds):
            return
        if self._holds:
            transport.pause_reading()
        else:
            transport.resume_reading()

    async def drained(self) -> None:
        writable = self._writable
        if writable is not None:
            await writable.wait()

    # -- closing ---------------------------------------------------------------------------

    def close(self, reset: bool = False) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_LINGER)
            transport.abort()
        else:
            transport.close()  # after the buffered data is sent

    def _wake_writers(self) -> None:
        writable, self._writable = self._writable, None
        if writable is not None:
            writable.set()


class Connection:
    """A client connected to a proxy, and the connection to the upstream made for it."""

    def __init__(self, proxy: ProxyControl) -> None:
        self.proxy = proxy
        self.up = Link(self, "upstream")  # client -> upstream
        self.down = Link(self, "downstream")  # upstream -> client
        self.client = Side(self, "client", outgoing=self.up, incoming=self.down)
        self.server: Side | None = None
        self._closed = False
        self._dialing: asyncio.Task[None] | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def side_made(self, side: Side) -> None:
        if side is self.client:
            self._client_made()
        elif self._closed:
            side.close()  # the client left while we were dialling
        else:
            self.server = side
            self.down.source = side
            self.up.attach(side)

    def _client_made(self) -> None:
        self.up.source = self.client
        self.down.dest = self.client
        self.proxy.opened(self)
        self.rechain()
        self._dialing = asyncio.get_running_loop().create_task(self._dial())

    async def _dial(self) -> None:
        address = self.proxy.upstream_address()
        loop = asyncio.get_running_loop()

        def upstream_side() -> Side:
            return Side(self, "upstream", outgoing=self.down, incoming=self.up)

        try:
            await asyncio.wait_for(
                loop.create_connection(upstream_side, address.host, address.port),
                CONNECT_TIMEOUT,
            )
        except (OSError, TimeoutError) as err:
            self.proxy.count("upstream_errors")
            reason = err.strerror if isinstance(err, OSError) and err.strerror else "timed out"
            log.warning("proxy %s: cannot reach upstream %s: %s", self.proxy.name, address, reason)
            self.close(f"upstream {address} unreachable")

    def rechain(self) -> None:
        """The proxy's toxics changed (or the connection is new): both links follow."""
        self.up.rechain(self.proxy.chain("upstream"))
        self.down.rechain(self.proxy.chain("downstream"))

    # -- link.Owner ------------------------------------------------------------------------

    def count(self, stat: str, amount: int = 1) -> None:
        self.proxy.count(stat, amount)

    def link_finished(self) -> None:
        if self.up.finished and self.down.finished:
            self.close("both sides closed")

    def close(self, why: str) -> None:
        self._end(why, reset=False)

    def reset(self, why: str) -> None:
        self._end(why, reset=True)

    def answer_and_close(self, response: bytes, why: str) -> None:
        self.client.write(response)
        self.close(why)

    def side_lost(self, side: Side, exc: Exception | None) -> None:
        if not self._closed:
            self.close(f"{side.role} closed" + (f" ({exc})" if exc else ""))

    def _end(self, why: str, reset: bool) -> None:
        if self._closed:
            return
        self._closed = True
        self.up.stop()
        self.down.stop()
        dialing = self._dialing
        if dialing is not None and not dialing.done() and dialing is not asyncio.current_task():
            dialing.cancel()
        for side in (self.client, self.server):
            if side is not None:
                side.close(reset)
        self.proxy.closed(self)
        log.debug("proxy %s: connection closed: %s", self.proxy.name, why)
