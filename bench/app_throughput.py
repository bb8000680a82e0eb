"""Throughput of the app on the real stack: cached GET /api/users, then POST /api/users.

Starts PostgreSQL, Redis and the Flask app under gunicorn with the sandbox's own launchers,
in a temporary SANDBOX_HOME on free ports, seeds a few users, drives each endpoint with wrk
(when it is on PATH) or else a multi-process keep-alive Python client, stops everything and
prints one JSON object. A benchmark, not a test: it never asserts and exits 0 after printing;
it exits 1 only when the stack (or the load generator) cannot run.

    .venv/bin/python bench/app_throughput.py [--seconds 10] [--connections 32]

`--generator python` forces the Python client even when wrk is installed. The load generator
shares the machine's cores with gunicorn, PostgreSQL and Redis; `cpu_count` says how many.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from sandbox.services.process import free_ports

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # so it also runs from a checkout that is not pip-installed

import psycopg2  # noqa: E402
import redis  # noqa: E402

from sandbox.errors import SandboxError  # noqa: E402
from sandbox.services import app as app_service  # noqa: E402
from sandbox.services import postgres  # noqa: E402
from sandbox.services import redis as redis_service  # noqa: E402
from sandbox.services.process import ServerProcess  # noqa: E402

USERS_PATH = "/api/users"
SEED_USERS = 20
APP_WORKERS, APP_THREADS = 2, 4
REQUEST_TIMEOUT = 10.0  # seconds; generous so slow requests show in p99 instead of vanishing
GOAL: dict[str, float] = {"get_rps_min": 1500, "get_p99_ms_max": 50, "get_errors_max": 0}
CPU_COUNT = os.cpu_count() or 1

# Each wrk thread has its own Lua state: setup() numbers the threads, so thread number plus a
# per-thread counter makes every email unique. @TAG@ keeps runs apart from each other.
POST_LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local sent = 0
function request()
  sent = sent + 1
  local body = string.format(
    '{"email": "bench-@TAG@-%d-%d@example.org", "name": "Bench User"}', tid, sent)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""


class StackError(Exception):
    """The stack could not start or be seeded; the message is for a person."""


class GeneratorError(Exception):
    """The load generator failed to run; the message is for a person."""


@dataclass
class LoadResult:
    requests: int  # responses received, whatever their status
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx responses plus requests that got no response at all

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rps": round(self.requests / self.seconds, 1) if self.seconds > 0 else 0.0,
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
        }


# --- the stack ---------------------------------------------------------------------------


@contextmanager
def running_stack(home: Path) -> Iterator[ServerProcess]:
    """Yield the app's server; afterwards stop app, redis, postgres and delete the data."""
    pg_port, redis_port, app_port = free_ports(3)
    pg_config = postgres.PostgresConfig(home=home, port=pg_port)
    servers: list[ServerProcess] = []  # in start order: postgres, redis, app
    try:
        start_servers(home, pg_config, redis_port, app_port, servers)
        yield servers[-1]
    finally:
        for server in reversed(servers):
            server.stop()
        postgres.wipe(pg_config)


def start_servers(
    home: Path,
    pg_config: postgres.PostgresConfig,
    redis_port: int,
    app_port: int,
    servers: list[ServerProcess],
) -> None:
    """Start the three servers, appending each to `servers` as soon as it runs."""
    try:
        servers.append(postgres.start(pg_config))
        servers.append(redis_service.start(redis_service.RedisConfig(home=home, port=redis_port)))
        app_config = app_service.AppServiceConfig(
            home=home,
            app_dir=REPO,
            database_url=servers[0].url,
            redis_url=servers[1].url,
            port=app_port,
            workers=APP_WORKERS,
            threads=APP_THREADS,
        )
        servers.append(app_service.start(app_config))
    except SandboxError as err:
        raise StackError(err.render()) from None
    except (OSError, psycopg2.Error, redis.RedisError) as err:
        raise StackError(f"{type(err).__name__}: {err}") from None


# --- plain HTTP helpers ------------------------------------------------------------------


def user_body(tag: str) -> bytes:
    return json.dumps({"email": f"bench-{tag}@example.org", "name": "Bench User"}).encode()


def send(conn: http.client.HTTPConnection, method: str, body: bytes | None) -> int:
    """One request on a keep-alive connection; returns the status after reading the body."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, USERS_PATH, body=body, headers=headers)
    response = conn.getresponse()
    response.read()  # the body must be drained before the connection can be reused
    return response.status


def seed(port: int, tag: str) -> None:
    """Create SEED_USERS users, then GET once: that first GET misses and fills the cache."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        for i in range(SEED_USERS):
            status = send(conn, "POST", user_body(f"seed-{tag}-{i}"))
            if status != 201:
                raise StackError(f"app: POST {USERS_PATH} answered {status} while seeding")
        status = send(conn, "GET", None)
        if status != 200:
            raise StackError(f"app: GET {USERS_PATH} answered {status} after seeding")
    except (OSError, http.client.HTTPException) as err:
        raise StackError(f"app: seeding failed: {type(err).__name__}: {err}") from None
    finally:
        conn.close()


def cache_counts(port: int) -> dict[str, int]:
    """The app's cache get hits and misses so far, from /metrics (summed over workers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    except (OSError, http.client.HTTPException):
        return {}
    finally:
        conn.close()
    pattern = r'^cache_operations_total\{operation="get",result="(hit|miss)"\} ([0-9.e+]+)$'
    counts = {"hit": 0, "miss": 0}
    for result, value in re.findall(pattern, text, flags=re.MULTILINE):
        counts[result] += int(float(value))
    return counts


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


# --- generator 1: wrk --------------------------------------------------------------------


def run_wrk(wrk: str, port: int, method: str, seconds: int, connections: int) -> LoadResult:
    """Drive one endpoint with wrk and parse its --latency report."""
    threads = min(CPU_COUNT, connections)
    argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    argv += [f"--timeout={int(REQUEST_TIMEOUT)}s"]
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        if method == "POST":
            script = Path(tmp) / "post.lua"
            script.write_text(POST_LUA.replace("@TAG@", uuid.uuid4().hex[:12]))
            argv += ["-s", str(script)]
        argv.append(f"http://127.0.0.1:{port}{USERS_PATH}")
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=seconds + 60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise GeneratorError(f"wrk did not run: {err}") from None
    if done.returncode != 0:
        raise GeneratorError(f"wrk exited with {done.returncode}: {done.stderr.strip()}")
    return parse_wrk(done.stdout)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}  # to milliseconds


def _ms(number: str, unit: str) -> float:
    return float(number) * _UNITS[unit]


def parse_wrk(report: str) -> LoadResult:
    """Read requests, duration, p50/p99 and errors out of wrk's text report."""
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", report)
    p50 = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s|m|h)", report, flags=re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)", report, flags=re.MULTILINE)
    if not (total and p50 and p99):
        raise GeneratorError(f"could not parse wrk's report:\n{report}")
    # wrk counts status >= 400 as "Non-2xx or 3xx"; these routes never redirect.
    bad_status = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    errors = int(bad_status.group(1)) if bad_status else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return LoadResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2), total.group(3)) / 1000,
        p50_ms=_ms(*p50.groups()),
        p99_ms=_ms(*p99.groups()),
        errors=errors,
    )


# --- generator 2: processes of keep-alive http.client threads ----------------------------


@dataclass(frozen=True)
class WorkerSpec:
    port: int
    method: str
    connections: int  # threads in this process, one keep-alive connection each
    seconds: float
    tag: str  # makes POST emails unique across processes, threads and runs


@dataclass
class Tally:
    """What one connection thread measured."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0


def run_python(port: int, method: str, seconds: int, connections: int) -> LoadResult:
    """Split the connections over one process per core (the GIL would cap a single one)."""
    processes = min(CPU_COUNT, connections)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes)  # every process starts its clock together
    results = ctx.Queue()
    run_tag = uuid.uuid4().hex[:12]
    procs = [
        ctx.Process(
            target=load_process,
            args=(WorkerSpec(port, method, share, seconds, f"{run_tag}-{i}"), barrier, results),
            daemon=True,
        )
        for i, share in enumerate(split(connections, processes))
    ]
    try:
        for proc in procs:
            proc.start()
        collected = [collect(results, seconds) for _ in procs]
    finally:
        stop_processes(procs)
    return merge(collected)


def split(total: int, parts: int) -> list[int]:
    """`total` spread as evenly as possible over `parts` (e.g. 32 over 3 -> 11, 11, 10)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def collect(results: Any, seconds: float) -> tuple[list[float], int, float]:
    try:
        item: tuple[list[float], int, float] | str = results.get(timeout=seconds + 60)
    except queue.Empty:
        raise GeneratorError("a load process sent no results (did it crash?)") from None
    if isinstance(item, str):
        raise GeneratorError(f"a load process failed: {item}")
    return item


def stop_processes(procs: Sequence[multiprocessing.process.BaseProcess]) -> None:
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.terminate()  # our own child, by its Process handle (its PID)
            proc.join(timeout=5)


def merge(collected: list[tuple[list[float], int, float]]) -> LoadResult:
    latencies = sorted(lat for lats, _errors, _elapsed in collected for lat in lats)
    return LoadResult(
        requests=len(latencies),
        seconds=max(elapsed for _lats, _errors, elapsed in collected),
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        errors=sum(errors for _lats, errors, _elapsed in collected),
    )


def load_process(spec: WorkerSpec, barrier: Barrier, results: Any) -> None:
    """Child process: run spec.connections threads for spec.seconds, send back the tallies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    try:
        results.put(measure(spec, barrier))
    except Exception as err:  # report, do not leave the parent waiting for a dead child
        results.put(f"{type(err).__name__}: {err}")


def measure(spec: WorkerSpec, barrier: Barrier) -> tuple[list[float], int, float]:
    conns = [
        http.client.HTTPConnection("127.0.0.1", spec.port, timeout=REQUEST_TIMEOUT)
        for _ in range(spec.connections)
    ]
    for conn in conns:
        conn.connect()  # connect before the clock starts, as keep-alive clients would
    tallies = [Tally() for _ in conns]
    barrier.wait(timeout=60)
    started = time.perf_counter()
    deadline = started + spec.seconds
    threads = [
        threading.Thread(target=drive, args=(conn, spec, f"{spec.tag}-{i}", deadline, tally))
        for i, (conn, tally) in enumerate(zip(conns, tallies, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = [lat for tally in tallies for lat in tally.latencies_ms]
    return latencies, sum(tally.errors for tally in tallies), elapsed


def drive(
    conn: http.client.HTTPConnection, spec: WorkerSpec, tag: str, deadline: float, tally: Tally
) -> None:
    """Send requests back to back on one keep-alive connection until the deadline."""
    clock = time.perf_counter
    sent = 0
    while clock() < deadline:
        body = user_body(f"{tag}-{sent}") if spec.method == "POST" else None
        sent += 1
        began = clock()
        try:
            status = send(conn, spec.method, body)
        except (OSError, http.client.HTTPException):
            conn.close()  # http.client reconnects on the next request
            tally.errors += 1
            continue
        tally.latencies_ms.append((clock() - began) * 1000)
        if not 200 <= status < 300:
            tally.errors += 1
    conn.close()


# --- the benchmark -----------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="per phase (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent (default 32)")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk when it is on PATH, else the Python client",
    )
    args = parser.parse_args(argv)
    if args.seconds < 1 or args.connections < 1:
        parser.error("--seconds and --connections must be at least 1")
    return args


def pick_generator(choice: str) -> tuple[str, str | None]:
    """('wrk', its path) or ('python-keepalive', None)."""
    wrk = shutil.which("wrk")
    if choice == "wrk" and wrk is None:
        raise GeneratorError("--generator wrk, but wrk is not on PATH")
    if choice != "python" and wrk is not None:
        return "wrk", wrk
    return "python-keepalive", None


def run_phase(wrk: str | None, port: int, method: str, args: argparse.Namespace) -> LoadResult:
    if wrk is not None:
        return run_wrk(wrk, port, method, args.seconds, args.connections)
    return run_python(port, method, args.seconds, args.connections)


def benchmark(app: ServerProcess, wrk: str | None, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, then the cached GET phase, then the POST phase; results as JSON-ready dicts."""
    seed(app.port, uuid.uuid4().hex[:12])
    before = cache_counts(app.port)
    get_cached = run_phase(wrk, app.port, "GET", args).as_json()
    after = cache_counts(app.port)
    # Misses during the GET phase would mean it measured PostgreSQL, not the cache.
    if before and after:
        get_cached["cache_misses"] = after["miss"] - before["miss"]
    post = run_phase(wrk, app.port, "POST", args).as_json()
    return {"get_cached": get_cached, "post": post}


def goal_met(get_cached: dict[str, Any]) -> bool:
    return bool(
        get_cached["rps"] >= GOAL["get_rps_min"]
        and get_cached["p99_ms"] <= GOAL["get_p99_ms_max"]
        and get_cached["errors"] <= GOAL["get_errors_max"]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        generator, wrk = pick_generator(args.generator)
        with (
            tempfile.TemporaryDirectory(prefix="bench-sandbox-home-") as home,
            running_stack(Path(home)) as app,
        ):
            phases = benchmark(app, wrk, args)
    except StackError as err:
        print(f"app_throughput: cannot start the stack: {err}", file=sys.stderr)
        return 1
    except GeneratorError as err:
        print(f"app_throughput: the load generator failed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("app_throughput: interrupted; servers stopped", file=sys.stderr)
        return 130
    result = {
        "generator": generator,
        "cpu_count": CPU_COUNT,
        "seconds": args.seconds,
        "connections": args.connections,
        "app": {"workers": APP_WORKERS, "threads": APP_THREADS},
        **phases,
        "goal": GOAL,
        "goal_met": goal_met(phases["get_cached"]),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
