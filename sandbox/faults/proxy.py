"""One proxy: a listener on loopback, the toxics configured on it, and its counters.

The counters (under ``stats`` in the proxy's JSON, a key Toxiproxy clients ignore) are for
lab checks: connections accepted and open, bytes forwarded each way, upstream dials that
failed, and requests the HTTP toxics aborted or delayed.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import Any

from sandbox.faults.addresses import Address, parse_listen, parse_upstream
from sandbox.faults.connection import Connection
from sandbox.faults.model import STREAMS, ApiError, ProxyConfig, Stream, Toxic, toxic_not_found
from sandbox.faults.toxics import Entry, build

log = logging.getLogger("sandbox.faults")

STATS = (
    "connections_total",
    "connections_active",
    "bytes_upstream",  # client -> upstream, as forwarded
    "bytes_downstream",  # upstream -> client, as forwarded
    "upstream_errors",
    "requests_aborted",
    "requests_delayed",
)


class Proxy:
    def __init__(self, config: ProxyConfig) -> None:
        self.name = config.name
        self.listen = config.listen
        self.upstream = config.upstream
        self.enabled = False  # true only while listening: start() sets it
        self.stats: dict[str, int] = dict.fromkeys(STATS, 0)
        self._server: asyncio.Server | None = None
        self._toxics: dict[str, Entry] = {}
        self._chains: dict[Stream, tuple[Entry, ...]] = dict.fromkeys(STREAMS, ())
        self._connections: set[Connection] = set()

    @property
    def config(self) -> ProxyConfig:
        return ProxyConfig(self.name, self.listen, self.upstream, self.enabled)

    # -- listening -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen (again); the answered `listen` carries the port the kernel chose for 0."""
        if self.enabled:
            return
        address = parse_listen(self.listen)
        loop = asyncio.get_running_loop()
        try:
            server = await loop.create_server(
                lambda: Connection(self).client, address.host, address.port
            )
        except OSError as err:
            raise _listen_error(self.name, address, err) from err
        port = server.sockets[0].getsockname()[1]
        self._server, self.listen, self.enabled = server, str(Address(address.host, port)), True
        log.info("proxy %s: listening on %s -> %s", self.name, self.listen, self.upstream)

    async def stop(self) -> None:
        """Stop listening and drop the open connections (Toxiproxy's "down")."""
        server, self._server, self.enabled = self._server, None, False
        if server is None:
            return
        server.close()  # the listening socket closes here, at once
        for conn in list(self._connections):
            conn.close(f"proxy {self.name} stopped")
        # No `await server.wait_closed()`: from Python 3.12 it waits for every transport to
        # finish flushing, which a client that stopped reading would make last forever.
        log.info("proxy %s: stopped", self.name)

    async def reconfigure(self, config: ProxyConfig) -> None:
        """Apply an update: a new listen or upstream restarts the proxy (dropping its
        connections), `enabled` starts or stops it."""
        if (config.listen, config.upstream) != (self.listen, self.upstream):
            await self.stop()
            self.listen, self.upstream = config.listen, config.upstream
        if config.enabled:
            await self.start()
        else:
            await self.stop()

    # -- toxics ----------------------------------------------------------------------------

    def toxics(self) -> list[Toxic]:
        """Upstream toxics first, then downstream, each in the order added (as Toxiproxy)."""
        return [entry.toxic for stream in STREAMS for entry in self._chains[stream]]

    def toxic(self, name: str) -> Toxic:
        entry = self._toxics.get(name)
        if entry is None:
            raise toxic_not_found(self.name, name)
        return entry.toxic

    def add_toxic(self, toxic: Toxic) -> None:
        if toxic.name in self._toxics:
            raise ApiError(f"toxic already exists: {toxic.name} (on proxy {self.name})", 409)
        self._toxics[toxic.name] = build(toxic)
        self._rechain(f"added toxic {toxic.name} ({toxic.type}, {toxic.stream})")

    def replace_toxic(self, toxic: Toxic) -> None:
        self.toxic(toxic.name)  # 404 unless it exists
        self._toxics[toxic.name] = build(toxic)
        self._rechain(f"updated toxic {toxic.name}")

    def remove_toxic(self, name: str) -> None:
        self.toxic(name)
        del self._toxics[name]
        self._rechain(f"removed toxic {name}")

    def clear_toxics(self) -> None:
        if self._toxics:
            self._toxics.clear()
            self._rechain("removed all toxics")

    def _rechain(self, what: str) -> None:
        for stream in STREAMS:
            self._chains[stream] = tuple(
                entry for entry in self._toxics.values() if entry.toxic.stream == stream
            )
        for conn in list(self._connections):
            conn.rechain()
        log.info("proxy %s: %s", self.name, what)

    # -- connection.ProxyControl -----------------------------------------------------------

    def upstream_address(self) -> Address:
        return parse_upstream(self.upstream)

    def chain(self, direction: Stream) -> tuple[Entry, ...]:
        return self._chains[direction]

    def opened(self, conn: Connection) -> None:
        self._connections.add(conn)
        self.stats["connections_total"] += 1
        self.stats["connections_active"] = len(self._connections)

    def closed(self, conn: Connection) -> None:
        self._connections.discard(conn)
        self.stats["connections_active"] = len(self._connections)

    def count(self, stat: str, amount: int = 1) -> None:
        self.stats[stat] += amount

    # -- JSON ------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [toxic.to_json() for toxic in self.toxics()],
            "stats": dict(self.stats),
        }


def _listen_error(name: str, address: Address, err: OSError) -> ApiError:
    if err.errno == errno.EADDRINUSE:
        # Imported here: it brings psutil and urllib (~8 MB) into a server that needs them
        # only to name a port's owner.
        from sandbox.services.process import port_owner

        owner = port_owner(address.port)
        return ApiError(
            f"listen address {address} is already in use"
            + (f" by {owner}" if owner else "")
            + f": choose another port for proxy {name}, or stop that process",
            409,
        )
    return ApiError(f"cannot listen on {address} for proxy {name}: {err.strerror or err}", 400)
