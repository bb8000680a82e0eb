"""What a faults proxy with no toxic adds to a request, and a latency toxic as a sanity check.

Starts the faults server (through its launcher, in a temporary SANDBOX_HOME, on a free
port) and a tiny HTTP/1.1 upstream (this file with --upstream, a separate process), both
on 127.0.0.1, and creates one proxy. Then times bounded GET requests from raw sockets,
alternating direct and proxied requests so that load drifts hit both alike:

- keepalive: N requests on one open connection each way (what a pooled client pays);
- new_connection: N/4 requests each on a fresh connection (connect, request, close),
  which adds the proxy's accept and its dial to the upstream.

Then one latency toxic (LATENCY_MS, downstream) for a few requests: p50 must be about
LATENCY_MS more than direct. Prints one JSON object with the machine's load; exits 0 after
printing (a benchmark, not a test), 1 with a message on stderr when it cannot start.

    .venv/bin/python bench/fault_overhead.py [--count 2000]

Goal: with no toxic, p50 through the proxy at most 0.5 ms above direct, both ways.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sandbox.errors import SandboxError
from sandbox.faults.client import FaultsClient
from sandbox.readiness import TcpCheck
from sandbox.services import faults
from sandbox.services.process import free_ports, terminate

GOAL = {"extra_p50_ms_max": 0.5}
REQUEST = b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
WARMUP = 50
LATENCY_MS = 20
LATENCY_COUNT = 50


# -- the upstream (run as a separate process) ---------------------------------------------


class _Answer(asyncio.Protocol):
    """Answers every request head with RESPONSE, on a kept-alive connection."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.transport.write(RESPONSE)


async def _serve_upstream(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Answer, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


@contextmanager
def upstream(port: int) -> Iterator[None]:
    argv = [sys.executable, __file__, "--upstream", str(port)]
    popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not TcpCheck(port)():
            if popen.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"the bench's upstream did not start on port {port}")
            time.sleep(0.02)
        yield
    finally:
        terminate(popen, 15, timeout=5)


# -- measuring ----------------------------------------------------------------------------


class BenchError(Exception):
    """The bench could not run; the message is for the user, no traceback."""


def exchange(sock: socket.socket) -> None:
    sock.sendall(REQUEST)
    received = 0
    while received < len(RESPONSE):
        chunk = sock.recv(4096)
        if not chunk:
            raise BenchError("the connection closed before the whole response arrived")
        received += len(chunk)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def timed(action: Callable[[], None]) -> float:
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


def keepalive(direct_port: int, proxy_port: int, count: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"direct": [], "proxied": []}
    with connect(direct_port) as direct, connect(proxy_port) as proxied:
        for i in range(WARMUP + count):
            for name, sock in (("direct", direct), ("proxied", proxied)):
                elapsed = timed(partial(exchange, sock))
                if i >= WARMUP:
                    times[name].append(elapsed)
    return times


def one_connection(port: int) -> None:
    with connect(port) as sock:
        exchange(sock)


def new_connections(direct_port: int, proxy_port: int, count: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"direct": [], "proxied": []}
    for i in range(WARMUP + count):
        for name, port in (("direct", direct_port), ("proxied", proxy_port)):
            elapsed = timed(partial(one_connection, port))
            if i >= WARMUP:
                times[name].append(elapsed)
    return times


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def compare(times: dict[str, list[float]]) -> dict[str, Any]:
    direct, proxied = summary(times["direct"]), summary(times["proxied"])
    return {
        "count": len(times["direct"]),
        "direct": direct,
        "proxied": proxied,
        "extra_p50_ms": round(proxied["p50_ms"] - direct["p50_ms"], 3),
        "extra_p95_ms": round(proxied["p95_ms"] - direct["p95_ms"], 3),
    }


def with_latency(client: FaultsClient, proxy_port: int) -> dict[str, Any]:
    toxic = {"type": "latency", "attributes": {"latency": LATENCY_MS}}
    client.add_toxic("bench", toxic)
    try:
        with connect(proxy_port) as sock:
            samples = [timed(partial(exchange, sock)) for _ in range(LATENCY_COUNT)]
    finally:
        client.remove_toxic("bench", "latency_downstream")
    result = summary(samples)
    sane = LATENCY_MS <= result["p50_ms"] <= LATENCY_MS + 10
    return {"latency_ms": LATENCY_MS, "count": LATENCY_COUNT, **result, "as_expected": sane}


# -- the run ------------------------------------------------------------------------------


def run(count: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="fault-bench-"))
    api_port, upstream_port = free_ports(2)
    server = None
    try:
        with upstream(upstream_port):
            server = faults.start(faults.FaultsConfig(home=home, port=api_port))
            client = FaultsClient(faults.url(api_port))
            proxy = client.create_proxy("bench", "127.0.0.1:0", f"127.0.0.1:{upstream_port}")
            proxy_port = int(proxy["listen"].rsplit(":", 1)[1])
            result = {
                "keepalive": compare(keepalive(upstream_port, proxy_port, count)),
                "new_connection": compare(new_connections(upstream_port, proxy_port, count // 4)),
                "latency_toxic": with_latency(client, proxy_port),
                "proxy_stats": client.proxies()["bench"]["stats"],
            }
    except SandboxError as err:
        raise BenchError(" | ".join(err.render().splitlines())) from err
    finally:
        if server is not None:
            server.stop(timeout=5)
        shutil.rmtree(home, ignore_errors=True)
    return result


def goal_met(result: dict[str, Any]) -> bool:
    limit = GOAL["extra_p50_ms_max"]
    extras = [result[mode]["extra_p50_ms"] for mode in ("keepalive", "new_connection")]
    return all(extra <= limit for extra in extras) and result["latency_toxic"]["as_expected"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="keep-alive requests each way")
    parser.add_argument("--upstream", type=int, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.upstream:
        asyncio.run(_serve_upstream(args.upstream))
        return 0
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    try:
        result = run(max(args.count, 40))
    except (BenchError, OSError) as err:
        print(f"fault_overhead: {err}", file=sys.stderr)
        return 1
    report = {
        "bench": "fault_overhead",
        **result,
        "goal": GOAL,
        "goal_met": goal_met(result),
        "cpu_count": os.cpu_count(),
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "elapsed_s": round(time.perf_counter() - began, 1),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
