"""What the chaos API costs when nothing is in force: event latency per source on bare ministack
and on ministack behind the chaos middleware, side by side, in one run.

Each variant gets its own emulator (sandbox.services.aws.start, chaos=False or True) in its own
temporary home on a free port, the processor deployed into it, and then the very measurement
of bench/event_latency.py (its Channel, warm-up and measure_source: send, then poll every
5 ms until the processor's item is readable). Rounds alternate the order (AB BA AB ...) so a
drift in the machine's load falls on both; a source's p50 pools every round's events.

How to read it: one emulator's p50 differs from the next one's by more than 1 ms even on the
same code (`round_p50s_ms`, `round_spread_ms`), so `goal_met` (every |delta p50| <= 1 ms) is
judged together with `every_delta_within_round_spread`, and with `middleware`: the wrapper's
own cost per request, timed in-process (no HTTP, no emulator) in nanoseconds, with nothing in
force and with one rule for another service in force.

    .venv/bin/python bench/chaos_overhead.py [--count 50] [--rounds 2]

Prints one JSON object. A benchmark, not a test: it exits 0 after printing, 1 with a one-line
message when an emulator cannot start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package

import event_latency  # the measurement this compares, reused as is
import machine  # bench/machine.py: the script's own folder is on sys.path

from sandbox.aws.deploy import deploy
from sandbox.aws.events import SOURCES
from sandbox.aws.names import Names
from sandbox.errors import SandboxError
from sandbox.services import aws
from sandbox.services.chaos.middleware import ChaosMiddleware
from sandbox.services.chaos.rules import parse_rules
from sandbox.services.process import free_ports

LAMBDA_DIR = Path(__file__).resolve().parent.parent / "lambda"
VARIANTS = {"ministack": False, "chaos": True}  # name -> AwsConfig.chaos
GOAL_MS = 1.0  # issue #12: with no rule set, each source's p50 within 1 ms of bare ministack
CALLS = 200_000  # in-process calls per middleware timing
REQUESTS = 300  # per emulator: DynamoDB ListTables round trips, through boto3
REQUEST_KEY = "api_call"  # the row of those round trips, beside the sources


def measure_variant(home: Path, chaos: bool, count: int) -> dict[str, Any]:
    """A SourceRun per source (its latencies and errors) on a fresh emulator, and one for
    REQUESTS plain API calls under `REQUEST_KEY`."""
    server = aws.start(aws.AwsConfig(home=home, port=free_ports()[0], chaos=chaos))
    try:
        deploy(server.url, LAMBDA_DIR)
        channel = event_latency.Channel(server.url, Names())
        found = {source: event_latency.measure_source(channel, source, count) for source in SOURCES}
        return {**found, REQUEST_KEY: time_requests(channel.ddb)}
    finally:
        server.stop()


def time_requests(ddb: Any) -> Any:
    """One signed API call's round trip, many times: the per-request cost the event figures
    are too coarse to show (they poll every 5 ms)."""
    run = event_latency.SourceRun()
    for _ in range(REQUESTS):
        began = time.perf_counter()
        ddb.list_tables(Limit=1)
        run.latencies_ms.append((time.perf_counter() - began) * 1000)
    return run


Runs = dict[str, dict[str, list[Any]]]  # variant -> source -> one SourceRun per round


def run_rounds(temp: Path, count: int, rounds: int) -> Runs:
    runs: Runs = {name: {key: [] for key in (*SOURCES, REQUEST_KEY)} for name in VARIANTS}
    for number in range(rounds):
        order = list(VARIANTS) if number % 2 == 0 else list(reversed(VARIANTS))
        for name in order:
            found = measure_variant(temp / f"{name}-{number}", VARIANTS[name], count)
            for source, run in found.items():
                runs[name][source].append(run)
    return runs


def side_by_side(runs: Runs) -> dict[str, dict[str, Any]]:
    """Per source: each variant's pooled p50/p95, the p50 of each round (how far one emulator
    differs from the next: the noise a 1 ms goal is judged against), and the p50 delta."""
    table = {}
    for source in (*SOURCES, REQUEST_KEY):
        row: dict[str, Any] = {name: summary(runs[name][source]) for name in VARIANTS}
        if all(stats["p50_ms"] is not None for stats in row.values()):
            delta = row["chaos"]["p50_ms"] - row["ministack"]["p50_ms"]
            row["delta_p50_ms"] = round(delta, 3)
            row["round_spread_ms"] = max(_spread(row[name]["round_p50s_ms"]) for name in VARIANTS)
        table[source] = row
    return table


def summary(rounds: list[Any]) -> dict[str, Any]:
    values = [value for run in rounds for value in run.latencies_ms]
    errors = sum(run.errors for run in rounds)
    if not values:
        return {"p50_ms": None, "p95_ms": None, "events": 0, "errors": errors}
    return {
        "p50_ms": round(statistics.median(values), 3),
        "p95_ms": round(event_latency.percentile(values, 0.95), 1),
        "round_p50s_ms": [
            round(statistics.median(r.latencies_ms), 2) for r in rounds if r.latencies_ms
        ],
        "events": len(values),
        "errors": errors,
    }


def _spread(values: list[float]) -> float:
    return round(max(values) - min(values), 2) if values else 0.0


def verdict(sources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    events = [row for key, row in sources.items() if key != REQUEST_KEY]
    deltas = [abs(row.get("delta_p50_ms", float("inf"))) for row in events]
    noise = [row.get("round_spread_ms", 0.0) for row in events]
    return {
        "goal": f"|chaos p50 - ministack p50| <= {GOAL_MS} ms per source, no rule set",
        "goal_met": all(delta <= GOAL_MS for delta in deltas),
        "every_delta_within_round_spread": all(
            delta <= spread for delta, spread in zip(deltas, noise, strict=True)
        ),
    }


# -- the middleware alone, in-process --------------------------------------------------------


def per_call_ns(app: Callable[..., Awaitable[None]], scope: dict[str, Any]) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def loop() -> float:
        began = time.perf_counter_ns()
        for _ in range(CALLS):
            await app(scope, receive, send)
        return (time.perf_counter_ns() - began) / CALLS

    return asyncio.run(loop())


def middleware_cost() -> dict[str, float]:
    """ns per request: ministack's place taken by a no-op app, so only the wrapper is timed."""

    async def ministack(scope: Any, receive: Any, send: Any) -> None:
        return None

    auth = "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/dynamodb/aws4_request, Signature=s"
    headers = [(b"authorization", auth.encode()), (b"x-amz-target", b"DynamoDB_20120810.PutItem")]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
    }
    idle = ChaosMiddleware(ministack)
    ruled = ChaosMiddleware(ministack)
    ruled.state.set_rules(parse_rules([{"service": "kinesis"}]))  # in force, never matching
    bare_ns = per_call_ns(ministack, scope)
    return {
        "bare_app_ns": round(bare_ns),
        "no_rule_added_ns": round(per_call_ns(idle, scope) - bare_ns),
        "unrelated_rule_added_ns": round(per_call_ns(ruled, scope) - bare_ns),
    }


# -- the run ---------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50, help="measured events per source")
    parser.add_argument("--rounds", type=int, default=2, help="emulators per variant")
    args = parser.parse_args()
    if args.count < 1 or args.rounds < 1:
        parser.error("--count and --rounds must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    temp = Path(tempfile.mkdtemp(prefix="sandbox-chaos-overhead-"))
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    try:
        runs = run_rounds(temp, args.count, args.rounds)
    except SandboxError as err:
        print(f"chaos_overhead: {event_latency.one_line(err)}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    sources = side_by_side(runs)
    result = {
        "count_per_round": args.count,
        "rounds": args.rounds,
        "sources": sources,
        **verdict(sources),
        "middleware": middleware_cost(),
        "context": machine.context(began, load_before),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
