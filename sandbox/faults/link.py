"""One direction of one proxied connection: bytes from a source socket to a destination
socket, through the toxics that apply to that direction.

With no toxic applying and nothing queued, a chunk is written to the destination in the
same callback that read it (the fast path: no task, no queue, no copy), which keeps a proxy
without toxics within a fraction of a millisecond of a direct connection. Otherwise chunks
queue, stamped with their arrival time, and one worker task takes them through the chain in
order; the source stops being read while too much is queued or the destination's buffer is
full, so a slow toxic never makes the proxy buffer without bound.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from sandbox.faults.model import Stream
from sandbox.faults.toxics import Entry, Run

log = logging.getLogger("sandbox.faults")

HIGH_WATER = 256 * 1024  # bytes queued in a link before its source is paused
LOW_WATER = 64 * 1024


class LinkClosed(Exception):
    """The connection closed while data was on its way through the chain."""


class Endpoint(Protocol):
    """A socket as a link sees it (implemented by `connection.Side`)."""

    def write(self, data: bytes) -> bool:
        """Send; False when the socket is closing and nothing was sent."""
        ...

    def write_eof(self) -> None: ...

    def hold(self, reason: str, on: bool) -> None:
        """Stop (or resume) reading this socket for `reason`; reading resumes once no
        reason is left."""
        ...

    async def drained(self) -> None:
        """Return once the socket's write buffer is below its high-water mark."""
        ...


class Owner(Protocol):
    """The connection a link belongs to (implemented by `connection.Connection`)."""

    @property
    def closed(self) -> bool: ...

    def close(self, why: str) -> None: ...

    def reset(self, why: str) -> None: ...

    def answer_and_close(self, response: bytes, why: str) -> None: ...

    def link_finished(self) -> None: ...

    def count(self, stat: str, amount: int = 1) -> None: ...


class Link:
    """Bytes one way; also the `toxics.LinkControl` its toxics act through."""

    def __init__(self, owner: Owner, direction: Stream) -> None:
        self.owner = owner
        self.direction = direction
        self.source: Endpoint | None = None
        self.dest: Endpoint | None = None  # None until the upstream is connected
        self._loop = asyncio.get_running_loop()
        self._stat = f"bytes_{direction}"
        self._pending: deque[tuple[bytes, float]] = deque()
        self._queued = 0
        self._worker: asyncio.Task[None] | None = None
        self._runs: dict[str, Run] = {}
        self._chain: tuple[Run, ...] = ()  # the runs whose toxicity roll applied, in order
        self._changed: asyncio.Future[None] = self._loop.create_future()
        self._eof = False
        self.finished = False

    # -- the data path ---------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Bytes read from the source."""
        if self._chain or self._pending or self._worker is not None or self.dest is None:
            self._queue(data)
        else:
            self._write(data)

    def feed_eof(self) -> None:
        """The source closed its sending side."""
        self._eof = True
        self._wake()

    def attach(self, dest: Endpoint) -> None:
        """The destination is connected: what was queued meanwhile goes on."""
        self.dest = dest
        self._wake()

    def _write(self, data: bytes) -> None:
        if self.dest is not None and self.dest.write(data):
            self.owner.count(self._stat, len(data))

    def _queue(self, data: bytes) -> None:
        self._pending.append((data, self._loop.time()))
        self._queued += len(data)
        if self._queued > HIGH_WATER and self.source is not None:
            self.source.hold("queue", True)
        self._wake()

    def _wake(self) -> None:
        if self._worker is not None or self.dest is None or self.finished:
            return
        if self._pending or (self._eof and self._chain):
            self._worker = self._loop.create_task(self._drain())
        elif self._eof:
            self._finish()

    async def _drain(self) -> None:
        try:
            while self._pending:
                data, at = self._pending.popleft()
                self._dequeued(len(data))
                await self._through(self._chain, 0, data, at)
            if self._eof:
                for run in self._chain:
                    await run.kind.finish(run)
                self._finish()
        except LinkClosed:
            pass
        except Exception:
            # A bug in a toxic must cost one connection, not the server: log it and close.
            log.exception("faults: a toxic failed on a %s link", self.direction)
            self.owner.close("internal error in a toxic (see the faults log)")
        finally:
            self._worker = None

    def _dequeued(self, size: int) -> None:
        self._queued -= size
        if self._queued <= LOW_WATER and self.source is not None:
            self.source.hold("queue", False)

    async def _through(self, chain: tuple[Run, ...], index: int, data: bytes, at: float) -> None:
        if index == len(chain):
            await self._emit(data)
            return
        run = chain[index]

        async def onward(piece: bytes, when: float) -> None:
            await self._through(chain, index + 1, piece, when)

        await run.kind.pipe(run, data, at, onward)

    async def _emit(self, data: bytes) -> None:
        if self.owner.closed or self.dest is None:
            raise LinkClosed
        self._write(data)
        await self.dest.drained()

    def _finish(self) -> None:
        self.finished = True
        if self.dest is not None:
            self.dest.write_eof()
        self.owner.link_finished()

    # -- toxics ----------------------------------------------------------------------------

    def rechain(self, entries: Sequence[Entry]) -> None:
        """The toxics of this direction changed: keep the runs of unchanged toxics, roll
        toxicity for new or updated ones, stop the removed ones, wake held data."""
        previous = self._runs
        runs = {entry.toxic.name: self._run_for(entry) for entry in entries}
        for name, old in previous.items():
            if runs.get(name) is not old:
                old.kind.stop(old)
        self._runs = runs
        self._chain = tuple(run for run in runs.values() if run.applies)
        for run in self._chain:
            if previous.get(run.toxic.name) is not run:
                run.kind.start(run)
        self._changed.set_result(None)
        self._changed = self._loop.create_future()

    def _run_for(self, entry: Entry) -> Run:
        old = self._runs.get(entry.toxic.name)
        if old is not None and old.kind is entry.kind:
            return old
        # An update keeps the toxic's state on this link (bytes counted by limit_data),
        # as Toxiproxy does, and rolls its toxicity again.
        state = old.state if old is not None else entry.kind.new_state()
        applies = random.random() < entry.toxic.toxicity  # noqa: S311
        return Run(entry.toxic, entry.kind, self, applies, state)

    def stop(self) -> None:
        """The connection is closing: stop every toxic and the worker."""
        for run in self._runs.values():
            run.kind.stop(run)
        self._runs, self._chain = {}, ()
        self._pending.clear()
        worker = self._worker
        if worker is not None and worker is not asyncio.current_task():
            worker.cancel()

    # -- toxics.LinkControl ----------------------------------------------------------------

    def now(self) -> float:
        return self._loop.time()

    async def sleep_until(self, run: Run, deadline: float) -> bool:
        while self._runs.get(run.toxic.name) is run and not self.owner.closed:
            delay = deadline - self._loop.time()
            if delay <= 0:
                return True
            await asyncio.wait((self._changed,), timeout=delay)
        return False

    def later(self, delay: float, callback: Callable[[], None]) -> Callable[[], None]:
        return self._loop.call_later(delay, callback).cancel

    def close_connection(self, why: str) -> None:
        self.owner.close(why)

    def reset_connection(self, why: str) -> None:
        self.owner.reset(why)

    def answer_and_close(self, response: bytes, why: str) -> None:
        self.owner.answer_and_close(response, why)

    def count(self, stat: str) -> None:
        self.owner.count(stat)
