"""What each toxic does to one direction (one link) of one connection.

Data reaches a toxic as chunks stamped with the time they arrived; a toxic passes pieces on
with `emit` (to the next toxic, and at the end of the chain to the destination socket),
holds them, or drops them. Times are Toxiproxy's: latency is counted from a chunk's arrival,
so a stream keeps flowing with the delay added once, not once per chunk. When a toxic is
removed or updated while it is holding data, its sleep ends early and the data goes on:
no data is dropped on the floor by a change of toxics (as in Toxiproxy).

Toxicity is rolled once per toxic per link, when the toxic reaches the link (a new
connection, or a toxic added to a live one) and again on each update: a toxic with
toxicity 0.3 affects about 30% of connections, wholly.

HTTP-level faults (Istio's ``fault.abort`` and ``fault.delay``) are not in Toxiproxy; here
they are two extra toxic types that Toxiproxy clients list and ignore like any other:

- ``http_abort`` {status, percentage}: for that percentage of requests, answer ``status``
  with a small problem+json body and ``Connection: close``, without forwarding the request
  to the upstream.
- ``http_delay`` {delay_ms, percentage}: hold that percentage of requests for ``delay_ms``
  before forwarding them.

Both act on the upstream stream (the client's requests) of a proxy whose upstream speaks
HTTP/1.1; `http1.RequestFramer` finds where requests begin without holding bytes back.
The percentage is rolled per request (as Istio does), on top of the per-connection toxicity.
An abort on a keep-alive connection is answered at once, so a client that pipelines requests
may see it before an earlier response; ordinary clients wait for each response first.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sandbox.faults.http1 import RequestFramer, abort_response
from sandbox.faults.model import Toxic

if TYPE_CHECKING:  # pydantic models: loaded with the first toxic (see build), not at start
    from sandbox.faults.schema import (
        BandwidthAttributes,
        HttpAbortAttributes,
        HttpDelayAttributes,
        LatencyAttributes,
        LimitDataAttributes,
        ResetPeerAttributes,
        SlicerAttributes,
        SlowCloseAttributes,
        TimeoutAttributes,
    )

Emit = Callable[[bytes, float], Awaitable[None]]


class LinkControl(Protocol):
    """What a toxic may do to the link it runs on (implemented by `link.Link`)."""

    def now(self) -> float: ...

    async def sleep_until(self, run: Run, deadline: float) -> bool:
        """Wait; False when the toxic was removed or changed meanwhile (stop holding)."""
        ...

    def later(self, delay: float, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` after `delay` seconds; returns a function that cancels it."""
        ...

    def close_connection(self, why: str) -> None: ...

    def reset_connection(self, why: str) -> None: ...

    def answer_and_close(self, response: bytes, why: str) -> None: ...

    def count(self, stat: str) -> None: ...


@dataclass(eq=False)
class Run:
    """One toxic on one link: whether toxicity let it apply, and its state on that link."""

    toxic: Toxic
    kind: Kind
    link: LinkControl
    applies: bool
    state: Any = None
    cancel_timer: Callable[[], None] | None = field(default=None, repr=False)


class Kind:
    """A toxic's behaviour; this base passes data through and does nothing at the end."""

    def new_state(self) -> Any:
        return None

    def start(self, run: Run) -> None:
        """The toxic reached the link (and applies to it)."""

    def stop(self, run: Run) -> None:
        """The toxic left the link, or was replaced by an update, or the link closed."""
        if run.cancel_timer is not None:
            run.cancel_timer()
            run.cancel_timer = None

    async def pipe(self, run: Run, data: bytes, at: float, emit: Emit) -> None:
        await emit(data, at)

    async def finish(self, run: Run) -> None:
        """The source closed its side; called before the close goes on."""


class Latency(Kind):
    """Each chunk goes on `latency` +/- `jitter` ms after it arrived."""

    def __init__(self, attrs: LatencyAttributes) -> None:
        self.latency, self.jitter = attrs.latency / 1000, attrs.jitter / 1000

    def delay(self) -> float:
        jitter = random.uniform(-self.jitter, self.jitter) if self.jitter else 0.0  # noqa: S311
        return max(0.0, self.latency + jitter)

    async def pipe(self, run: Run, data: bytes, at: float, emit: Emit) -> None:
        due = at + self.delay()
        await run.link.sleep_until(run, due)
        await emit(data, min(due, run.link.now()))


@dataclass
class _Clock:
    free_at: float = 0.0  # when the link may send again at the limited rate


class Bandwidth(Kind):
    """At most `rate` KB/s, sent in pieces of 100 ms worth (as Toxiproxy)."""

    def __init__(self, attrs: BandwidthAttributes) -> None:
        self.rate = attrs.rate * 1000  # bytes per second

    def new_state(self) -> _Clock:
        return _Clock()

    async def pipe(self, run: Run, data: bytes, at: float, emit: Emit) -> None:
        if not self.rate:
            await emit(data, at)
            return
        step = max(1, self.rate // 10)
        for offset in range(0, len(data), step):
            piece = data[offset : offset + step]
            clock: _Clock = run.state
            clock.free_at = max(clock.free_at, run.link.now()) + len(piece) / self.rate
            if not await run.link.sleep_until(run, clock.free_at):
                await emit(data[offset:], at)
                return
            await emit(piece, at)


class SlowClose(Kind):
    """The close goes on `delay` ms after the source closed."""

    def __init__(self, attrs: SlowCloseAttributes) -> None:
        self.delay = attrs.delay / 1000

    async def finish(self, run: Run) -> None:
        await run.link.sleep_until(run, run.link.now() + self.delay)


class Timeout(Kind):
    """Nothing gets through; the connection closes `timeout` ms after the toxic reached it
    (never, with 0: data is dropped until the toxic is removed)."""

    def __init__(self, attrs: TimeoutAttributes) -> None:
        self.timeout = attrs.timeout / 1000

    def start(self, run: Run) -> None:
        if self.timeout:
            why = f"timeout toxic {run.toxic.name!r} ({self.timeout * 1000:.0f} ms)"
            run.cancel_timer = run.link.later(self.timeout, lambda: run.link.close_connection(why))

    async def pipe(self, run: Run, data: bytes, at: float, emit: Emit) -> None:
        return  # dropped: a timeout lets nothing through


class ResetPeer(Kind):
    """When data first arrives, wait `timeout` ms, then reset the connection (TCP RST);
    the data is dropped."""

    def __init__(self, attrs: ResetPeerAttributes) -> None:
        self.timeout = attrs.timeout / 1000

    async def pipe(self, run: Run, data: bytes, at: float, emit: Emit) -> None:
        if await run.link.sleep_until(run, run.link.now() + self.timeout):
            run.link.reset_connection(f"reset_peer toxic {run.toxic.name!r}")
        else:
            await emit(data, at)  # removed while waiting: the data goes on


class Slicer(Kind):
    """Each chunk is cut into slices of about `average_size` +/- `size_variation` bytes,
    `delay` microseconds apart."""

    def __init__(self, attrs: SlicerAttributes) -> None:
        self.average, self.variation = attrs.average_size, attrs.size_variation
        self.delay = attrs.delay / 1_000_000

    def cuts(self, start: int, end: int) -> list[int]:
        """Where the slices of data[start:end] end; halves recursively, as Toxiproxy does,
        so slices vary evenly instead of leaving a small one at the end."""
        if (end - start) - self.average <= self.variation:
            return [end]
        swing = random.randint(-self.variation, self.variation) if self.variation else 0  # noqa: S311
        middle = start + (end - start) // 2 + swing
        return self.cuts(start, middle) + self.cuts(middle, end)

    async def pipe(self, run: Run, data: bytes, at: float, emit: Emit) -> None:
        begin = 0
        for end in self.cuts(0, len(data)):
            await emit(data[begin:end], at)
            begin = end
            if begin < len(data) and self.delay and not await self._pause(run):
                await emit(data[begin:], at)  # removed meanwhile: the rest goes at once
                return

    async def _pause(self, run: Run) -> bool:
        return await run.link.sleep_until(run, run.link.now() + self.delay)


@dataclass
class _Sent:
    bytes: int = 0


class LimitData(Kind):
    """After `bytes` bytes have gone through, the connection closes."""

    def __init__(self, attrs: LimitDataAttributes) -> None:
        self.limit = attrs.bytes

    def new_state(self) -> _Sent:
        return _Sent()

    async def pipe(self, run: Run, data: bytes, at: float, emit: Emit) -> None:
        sent: _Sent = run.state
        piece = data[: max(0, self.limit - sent.bytes)]
        if piece:
            sent.bytes += len(piece)
            await emit(piece, at)
        if sent.bytes >= self.limit:
            run.link.close_connection(f"limit_data toxic {run.toxic.name!r} ({self.limit} bytes)")


def _hit(percentage: float) -> bool:
    return random.random() * 100 < percentage  # noqa: S311


class HttpAbort(Kind):
    """`percentage` % of requests are answered with `status` and never forwarded."""

    def __init__(self, attrs: HttpAbortAttributes) -> None:
        self.status, self.percentage = attrs.status, attrs.percentage

    def new_state(self) -> RequestFramer:
        return RequestFramer()

    async def pipe(self, run: Run, data: bytes, at: float, emit: Emit) -> None:
        framer: RequestFramer = run.state
        for starts, piece in framer.split(data):
            if starts and _hit(self.percentage):
                run.link.count("requests_aborted")
                response = abort_response(self.status, run.toxic.name)
                run.link.answer_and_close(response, f"http_abort toxic {run.toxic.name!r}")
                return
            await emit(piece, at)


class HttpDelay(Kind):
    """`percentage` % of requests are held `delay_ms` before they are forwarded."""

    def __init__(self, attrs: HttpDelayAttributes) -> None:
        self.delay, self.percentage = attrs.delay_ms / 1000, attrs.percentage

    def new_state(self) -> RequestFramer:
        return RequestFramer()

    async def pipe(self, run: Run, data: bytes, at: float, emit: Emit) -> None:
        framer: RequestFramer = run.state
        for starts, piece in framer.split(data):
            if starts and _hit(self.percentage):
                run.link.count("requests_delayed")
                await run.link.sleep_until(run, at + self.delay)
            await emit(piece, at)


@dataclass(frozen=True, eq=False)
class Entry:
    """A toxic as configured on a proxy, with its behaviour (shared by all its links)."""

    toxic: Toxic
    kind: Kind


# Each takes its type's attributes model; build() checks the pairing.
KINDS: dict[str, Callable[[Any], Kind]] = {
    "latency": Latency,
    "bandwidth": Bandwidth,
    "slow_close": SlowClose,
    "timeout": Timeout,
    "reset_peer": ResetPeer,
    "slicer": Slicer,
    "limit_data": LimitData,
    "http_abort": HttpAbort,
    "http_delay": HttpDelay,
}


def build(toxic: Toxic) -> Entry:
    """A validated toxic with its behaviour (schema.ATTRIBUTES and KINDS share their keys)."""
    from sandbox.faults.schema import ATTRIBUTES  # already loaded: it validated the toxic

    needed = ATTRIBUTES[toxic.type]
    if not isinstance(toxic.attributes, needed):
        given = type(toxic.attributes).__name__
        raise TypeError(f"{given} given where {needed.__name__} is needed")
    return Entry(toxic, KINDS[toxic.type](toxic.attributes))
