"""Each toxic's effect on real TCP traffic: a client socket, a real proxy, a real upstream,
all on 127.0.0.1. Times are bounded below by what the toxic must add and above with room
for a loaded 2-core machine."""

from __future__ import annotations

import random
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.faults.conftest import Api
from tests.faults.upstreams import echo, send_then_close, send_then_wait, serving

SLACK = 0.5  # seconds a loaded machine may add on top of a toxic's own delay


@contextmanager
def client(port: int, timeout: float = 5.0) -> Iterator[socket.socket]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        yield sock
    finally:
        sock.close()


def round_trip(sock: socket.socket, payload: bytes = b"ping") -> float:
    began = time.monotonic()
    sock.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = sock.recv(65536)
        assert chunk, "closed before the echo came back"
        received += chunk
    assert received == payload
    return time.monotonic() - began


def read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything until EOF, and when EOF came (monotonic)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic()


@pytest.fixture
def echo_port(api: Api) -> Iterator[int]:
    with serving(echo) as upstream:
        yield api.proxy("p", upstream.port)


@pytest.mark.parametrize("stream", ["upstream", "downstream"])
def test_latency_delays_each_round_trip(api: Api, echo_port: int, stream: str) -> None:
    api.toxic("p", type="latency", stream=stream, attributes={"latency": 200})
    with client(echo_port) as sock:
        times = [round_trip(sock) for _ in range(3)]
    assert all(0.195 <= t < 0.2 + SLACK for t in times), times


def test_latency_jitter_spreads_the_delays_within_latency_plus_or_minus_jitter(
    api: Api, echo_port: int
) -> None:
    api.toxic("p", type="latency", attributes={"latency": 150, "jitter": 50})
    with client(echo_port) as sock:
        times = [round_trip(sock) for _ in range(10)]
    assert all(0.099 <= t < 0.2 + SLACK for t in times), times
    assert max(times) - min(times) > 0.01, times  # ten draws from a 100 ms window


def test_a_toxic_added_to_a_live_connection_applies_at_once_and_leaves_when_removed(
    api: Api, echo_port: int
) -> None:
    with client(echo_port) as sock:
        assert round_trip(sock) < 0.3  # far below the toxic's, even on a loaded machine
        api.toxic("p", type="latency", attributes={"latency": 400})
        assert round_trip(sock) >= 0.395
        api.delete("/proxies/p/toxics/latency_downstream")
        assert round_trip(sock) < 0.3


def test_removing_a_latency_toxic_releases_the_data_it_holds(api: Api, echo_port: int) -> None:
    api.toxic("p", type="latency", attributes={"latency": 3000})
    with client(echo_port) as sock:
        sock.sendall(b"held")
        time.sleep(0.2)
        api.delete("/proxies/p/toxics/latency_downstream")
        began = time.monotonic()
        assert sock.recv(100) == b"held"
        assert time.monotonic() - began < 1.5


def test_timeout_drops_the_data_and_closes_after_the_timeout(api: Api, echo_port: int) -> None:
    api.toxic("p", type="timeout", attributes={"timeout": 300})
    began = time.monotonic()  # before connecting: the proxy may accept before we look
    with client(echo_port) as sock:
        sock.sendall(b"lost")
        data, closed_at = read_until_closed(sock)
    assert data == b""
    assert 0.3 <= closed_at - began < 0.3 + SLACK


def test_timeout_zero_drops_the_data_until_the_toxic_is_removed(api: Api, echo_port: int) -> None:
    api.toxic("p", type="timeout", stream="upstream", attributes={"timeout": 0})
    with client(echo_port, timeout=0.4) as sock:
        sock.sendall(b"lost")
        with pytest.raises(TimeoutError):
            sock.recv(100)
        api.delete("/proxies/p/toxics/timeout_upstream")
        sock.settimeout(5)
        assert round_trip(sock, b"back") < 0.5


def test_reset_peer_resets_the_connection(api: Api, echo_port: int) -> None:
    api.toxic("p", type="reset_peer", attributes={"timeout": 0})
    with client(echo_port) as sock:
        sock.sendall(b"hello")
        with pytest.raises(ConnectionResetError):
            sock.recv(100)


def test_reset_peer_waits_its_timeout_after_data_arrives(api: Api, echo_port: int) -> None:
    api.toxic("p", type="reset_peer", stream="upstream", attributes={"timeout": 300})
    with client(echo_port) as sock:
        began = time.monotonic()
        sock.sendall(b"hello")
        with pytest.raises(ConnectionResetError):
            sock.recv(100)
        assert 0.29 <= time.monotonic() - began < 0.3 + SLACK


def test_bandwidth_limits_the_throughput(api: Api, echo_port: int) -> None:
    api.toxic("p", type="bandwidth", attributes={"rate": 50})  # 50 KB/s
    payload = bytes(range(256)) * 200  # 51,200 bytes: about a second at 50 KB/s
    with client(echo_port) as sock:
        elapsed = round_trip(sock, payload)
    assert 0.9 <= elapsed < 1.05 + 2 * SLACK


def test_slow_close_delays_the_close(api: Api) -> None:
    with serving(send_then_close(b"bye")) as upstream:
        port = api.proxy("p", upstream.port)
        api.toxic("p", type="slow_close", attributes={"delay": 400})
        began = time.monotonic()  # before connecting: the upstream closes as soon as it can
        with client(port) as sock:
            data, closed_at = read_until_closed(sock)
    assert data == b"bye"
    assert 0.4 <= closed_at - began < 0.4 + SLACK


def test_limit_data_closes_after_the_limit(api: Api, echo_port: int) -> None:
    api.toxic("p", type="limit_data", attributes={"bytes": 10})
    with client(echo_port) as sock:
        sock.sendall(b"x" * 100)
        data, _ = read_until_closed(sock)
    assert data == b"x" * 10


def test_slicer_splits_one_write_into_delayed_slices(api: Api) -> None:
    payload = bytes(range(100))
    with serving(send_then_wait(payload)) as upstream:
        port = api.proxy("p", upstream.port)
        attributes = {"average_size": 10, "size_variation": 4, "delay": 20_000}  # 20 ms apart
        api.toxic("p", type="slicer", attributes=attributes)
        with client(port) as sock:
            reads, began = [], time.monotonic()
            while sum(map(len, reads)) < len(payload):
                reads.append(sock.recv(65536))
            elapsed = time.monotonic() - began
    assert b"".join(reads) == payload
    assert len(reads) >= 5, [len(r) for r in reads]
    assert max(map(len, reads)) <= 2 * 14  # a slice is at most 14 bytes; reads may join two
    assert elapsed >= 0.1  # at least 6 slices, 20 ms apart


def test_toxicity_zero_never_applies(api: Api, echo_port: int) -> None:
    api.toxic("p", type="latency", toxicity=0.0, attributes={"latency": 1000})
    for _ in range(5):
        with client(echo_port) as sock:
            assert round_trip(sock) < 0.5


def test_toxicity_one_always_applies(api: Api, echo_port: int) -> None:
    api.toxic("p", type="latency", toxicity=1.0, attributes={"latency": 100})
    for _ in range(5):
        with client(echo_port) as sock:
            assert round_trip(sock) >= 0.095


def test_toxicity_applies_per_connection(api: Api, echo_port: int) -> None:
    api.toxic("p", type="latency", toxicity=0.5, attributes={"latency": 150})
    slow = mixed = 0
    for _ in range(24):
        with client(echo_port) as sock:
            delayed = [round_trip(sock) >= 0.15 for _ in range(2)]
        slow += all(delayed)  # a toxic never makes a trip faster: both slow means it applied
        mixed += any(delayed) and not all(delayed)
    assert 3 <= slow <= 21  # 24 fair coins: outside this about once in 28,000 runs
    # Rolled per connection, a toxic delays both trips or neither; one slow trip of two is a
    # stall of a loaded machine (rolled per chunk, about half the connections would mix).
    assert mixed <= 3


def test_two_latency_toxics_add_up(api: Api, echo_port: int) -> None:
    api.toxic("p", type="latency", name="a", attributes={"latency": 100})
    api.toxic("p", type="latency", name="b", attributes={"latency": 100})
    with client(echo_port) as sock:
        times = [round_trip(sock) for _ in range(3)]
    assert statistics.median(times) >= 0.195


def test_an_unreachable_upstream_closes_the_client_and_is_counted(api: Api) -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        dead = placeholder.getsockname()[1]  # nothing listens here once it is closed
    port = api.proxy("p", dead)
    with client(port) as sock:
        data, _ = read_until_closed(sock)
    assert data == b""
    assert api.stats("p")["upstream_errors"] == 1


def test_a_half_close_is_passed_on_and_the_answer_still_arrives(api: Api, echo_port: int) -> None:
    with client(echo_port) as sock:
        sock.sendall(b"last words")
        sock.shutdown(socket.SHUT_WR)
        data, _ = read_until_closed(sock)
    assert data == b"last words"


@pytest.mark.parametrize("toxic", [None, {"type": "latency", "attributes": {"latency": 5}}])
def test_megabytes_arrive_whole_and_in_order(
    api: Api, echo_port: int, toxic: dict[str, object] | None
) -> None:
    if toxic is not None:
        api.toxic("p", **toxic)
    payload = random.Random(1).randbytes(4 * 1024 * 1024)
    with client(echo_port, timeout=20) as sock:
        # Send from a thread: an echo only drains as fast as we read.
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        received = bytearray()
        while len(received) < len(payload):
            chunk = sock.recv(1 << 20)
            assert chunk, "closed early"
            received += chunk
        sender.join(20)
    assert received == payload
