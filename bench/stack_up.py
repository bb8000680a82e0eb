"""Start, stop and idle memory of the whole stack, measured as a user sees them.

Runs the `sandbox` CLI as a subprocess on a fresh temporary SANDBOX_HOME and free ports:
one cold `up` (includes PostgreSQL's initdb), idle memory after a few seconds, `down`, then
warm `up`/`down` cycles. After every `down` it checks that no process of the stack is alive
and no port of the stack still listens. It always ends with `sandbox reset --yes` and
prints one JSON object. A benchmark, not a test: it never asserts and exits 0 after
printing; it exits 1 with a message on stderr when the stack cannot start.

    .venv/bin/python bench/stack_up.py [--warm-runs 3] [--idle-seconds 3]

The machine's load matters (two cores, shared with whatever else runs): `load_avg_1m`
says how busy it was.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from sandbox.stack.specs import SERVICE_NAMES, free_port_variables

GOAL: dict[str, float] = {"warm_up_s_max": 2, "cold_up_s_max": 4, "idle_rss_mb_max": 300}
SERVICES = SERVICE_NAMES
UP_TIMEOUT = 120.0  # passed to `sandbox up --timeout`
CLI_GRACE = 60.0  # on top of UP_TIMEOUT: the CLI itself must answer by then
MB = 1024 * 1024


class BenchError(Exception):
    """The stack could not be measured; the message is for the user, no traceback."""


@dataclass
class Tracked:
    """Every stack process seen while up (pid -> create time) and every port it listened on."""

    processes: dict[int, float] = field(default_factory=dict)
    ports: set[int] = field(default_factory=set)


@dataclass
class Leftovers:
    """What outlived every `down` so far."""

    processes: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)


# -- the CLI ------------------------------------------------------------------------------


def sandbox_command() -> list[str]:
    # The installed console script, as a user would run it; else the same entry point.
    script = Path(sys.executable).parent / "sandbox"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from sandbox.cli import main; main()"]


def run_cli(env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `sandbox ARGS`; return wall seconds and the finished process."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [*sandbox_command(), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=UP_TIMEOUT + CLI_GRACE,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise BenchError(
            f"`sandbox {' '.join(args)}` did not return in {err.timeout:.0f} s"
        ) from err
    return time.perf_counter() - start, done


def cli_failure(args: str, done: subprocess.CompletedProcess[str]) -> BenchError:
    detail = (done.stderr or done.stdout).strip() or "(no output)"
    return BenchError(f"`sandbox {args}` exited with code {done.returncode}:\n{detail}")


def up(env: dict[str, str]) -> tuple[float, dict[str, Any], dict[str, float]]:
    """`sandbox up --json`: seconds to all-healthy, the status, and when each service got
    healthy (seconds after the command started: which service holds the start back)."""
    wall_start = time.time()
    seconds, done = run_cli(env, "up", "--json", "--timeout", str(UP_TIMEOUT))
    if done.returncode != 0:
        raise cli_failure("up", done)
    status = parse_json(done.stdout, "up --json")
    if status.get("already_running"):
        raise BenchError("`sandbox up` found a stack already running; the timing would be wrong")
    ready = {
        name: round(service["started_at"] - wall_start, 2)
        for name, service in status["services"].items()
        if service.get("started_at") is not None
    }
    return round(seconds, 3), status, ready


def down(env: dict[str, str]) -> float:
    seconds, done = run_cli(env, "down")
    if done.returncode != 0:
        raise cli_failure("down", done)
    return round(seconds, 3)


def parse_json(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as err:
        raise BenchError(f"`sandbox {what}` printed no JSON: {text[:200]!r}") from err
    if not isinstance(data, dict):
        raise BenchError(f"`sandbox {what}` printed {type(data).__name__}, not an object")
    return data


# -- ports and environment ----------------------------------------------------------------


def sandbox_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SANDBOX_HOME"] = str(home)
    env["SANDBOX_BACKEND"] = "embedded"  # the compose backend needs Docker; not measured here
    return {**env, **free_port_variables()}


def configured_ports(env: dict[str, str]) -> set[int]:
    return {int(env[f"SANDBOX_{service.upper()}_PORT"]) for service in SERVICES}


# -- processes and memory -----------------------------------------------------------------


def process(pid: int | None) -> psutil.Process | None:
    if pid is None:
        return None
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


def with_descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return [proc]


def stack_tree(status: dict[str, Any]) -> dict[str, list[psutil.Process]]:
    """Processes by owner: each service with its descendants; the supervisor itself; and
    `other` for the supervisor's children that belong to no service (health probes)."""
    owners: dict[str, list[psutil.Process]] = {}
    claimed: set[int] = set()
    for name, service in status["services"].items():
        root = process(service.get("pid"))
        owners[name] = with_descendants(root) if root else []
        claimed.update(p.pid for p in owners[name])
    supervisor = process(status.get("supervisor_pid"))
    if supervisor is not None:
        rest = [p for p in with_descendants(supervisor) if p.pid not in claimed]
        owners["supervisor"] = [p for p in rest if p.pid == supervisor.pid]
        owners["other"] = [p for p in rest if p.pid != supervisor.pid]
    return owners


def memory_mb(procs: Iterable[psutil.Process]) -> dict[str, float]:
    """Summed RSS, USS and PSS. RSS counts shared pages (postgres shared_buffers, forked
    gunicorn workers) once per process, so it overstates; USS is what stopping would free."""
    totals = {"rss": 0.0, "uss": 0.0, "pss": 0.0}
    for proc in procs:
        try:
            info = proc.memory_full_info()
        except psutil.Error:
            continue  # gone since the scan (a finished health probe)
        totals["rss"] += info.rss
        totals["uss"] += getattr(info, "uss", 0)
        totals["pss"] += getattr(info, "pss", 0)
    return {key: round(value / MB, 1) for key, value in totals.items()}


def listening(procs: Iterable[psutil.Process]) -> list[str]:
    """host:port of every listening TCP socket of `procs` (reveals binds beyond 127.0.0.1)."""
    pids = {p.pid for p in procs}
    found = {
        f"{conn.laddr.ip}:{conn.laddr.port}"
        for conn in psutil.net_connections(kind="tcp")
        if conn.pid in pids and conn.status == psutil.CONN_LISTEN and conn.laddr
    }
    return sorted(found)


def track(tracked: Tracked, owners: dict[str, list[psutil.Process]]) -> None:
    """Remember every process and listening port, to check after `down`."""
    procs = [p for group in owners.values() for p in group]
    for proc in procs:
        try:
            tracked.processes[proc.pid] = proc.create_time()
        except psutil.Error:
            continue
    tracked.ports.update(int(addr.rsplit(":", 1)[1]) for addr in listening(procs))


def idle_memory(status: dict[str, Any], tracked: Tracked) -> dict[str, Any]:
    owners = stack_tree(status)
    track(tracked, owners)
    by_owner = {name: memory_mb(procs) for name, procs in owners.items()}
    total = memory_mb(p for procs in owners.values() for p in procs)
    return {
        "idle_rss_mb": total["rss"],
        "idle_uss_mb": total["uss"],
        "idle_pss_mb": total["pss"],
        "idle_rss_by_service_mb": {name: m["rss"] for name, m in by_owner.items()},
        "idle_uss_by_service_mb": {name: m["uss"] for name, m in by_owner.items()},
        "idle_processes_by_service": {name: len(procs) for name, procs in owners.items()},
        "listening": {name: listening(procs) for name, procs in owners.items() if procs},
    }


# -- after `down` -------------------------------------------------------------------------


def describe(pid: int) -> str:
    try:
        proc = psutil.Process(pid)
        return f"{pid} {' '.join(proc.cmdline())[:120]}"
    except psutil.Error:
        return str(pid)


def alive_tracked(tracked: Tracked) -> list[int]:
    """Tracked pids still running as the same process (create time guards PID reuse)."""
    left = []
    for pid, created in tracked.processes.items():
        proc = process(pid)
        try:
            if proc and proc.status() != psutil.STATUS_ZOMBIE and proc.create_time() == created:
                left.append(pid)
        except psutil.Error:
            continue
    return left


def strays(markers: Sequence[str]) -> list[int]:
    """Processes whose command line or working directory points into our state: catches
    ones started after the last scan (a restart, a Lambda worker)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
        text = " ".join(proc.info["cmdline"] or []) + " " + (proc.info["cwd"] or "")
        if proc.pid != os.getpid() and any(marker in text for marker in markers):
            found.append(proc.pid)
    return found


def bound_ports(ports: set[int]) -> list[int]:
    return sorted(
        {
            conn.laddr.port
            for conn in psutil.net_connections(kind="tcp")
            if conn.laddr and conn.laddr.port in ports and conn.status == psutil.CONN_LISTEN
        }
    )


def check_after_down(tracked: Tracked, markers: Sequence[str], leftovers: Leftovers) -> None:
    pids = sorted(set(alive_tracked(tracked)) | set(strays(markers)))
    leftovers.processes.extend(describe(pid) for pid in pids)
    leftovers.ports.extend(bound_ports(tracked.ports))


def state_markers(home: Path) -> list[str]:
    """Paths only this run's processes mention: the state dir and PostgreSQL's data dir,
    which as root lives outside it (see sandbox.services.postgres)."""
    markers = [str(home)]
    pointer = home / "postgres" / "data-location"
    if pointer.exists():
        markers.append(pointer.read_text().strip())
    return markers


# -- the run ------------------------------------------------------------------------------


def median_by_service(runs: Sequence[dict[str, float]]) -> dict[str, float]:
    names = {name for run in runs for name in run}
    return {
        name: round(statistics.median(run[name] for run in runs if name in run), 2)
        for name in sorted(names)
    }


def measure(env: dict[str, str], home: Path, warm_runs: int, idle_s: float) -> dict[str, Any]:
    tracked = Tracked(ports=configured_ports(env))
    leftovers = Leftovers()
    overhead, _ = run_cli(env, "status", "--json")  # exit 3 (not running) is expected
    cold_s, status, cold_ready = up(env)
    markers = state_markers(home)
    time.sleep(idle_s)  # let start-up work (migrations, first checkpoints) settle
    memory = idle_memory(status, tracked)
    downs = [down(env)]
    check_after_down(tracked, markers, leftovers)
    warm: list[float] = []
    warm_ready: list[dict[str, float]] = []
    for _ in range(warm_runs):
        seconds, status, ready = up(env)
        warm.append(seconds)
        warm_ready.append(ready)
        track(tracked, stack_tree(status))
        downs.append(down(env))
        check_after_down(tracked, markers, leftovers)
    return {
        "cold_up_s": cold_s,
        "cold_up_ready_s": cold_ready,
        "warm_up_s": warm,
        "warm_up_median_s": round(statistics.median(warm), 3) if warm else None,
        "warm_up_ready_median_s": median_by_service(warm_ready),
        "down_s": downs[0],
        "down_s_all": downs,
        **memory,
        "after_down": {
            "no_process_left": not leftovers.processes,
            "no_port_bound": not leftovers.ports,
            "processes_left": leftovers.processes,
            "ports_bound": sorted(set(leftovers.ports)),
            "downs_checked": len(downs),
        },
        "cli_overhead_s": round(overhead, 3),
    }


def judge(result: dict[str, Any]) -> dict[str, Any]:
    """The goal, and per key whether it was met (warm start judged by its median)."""
    warm = result.get("warm_up_median_s")
    detail = {
        "warm_up_s_max": warm is not None and warm <= GOAL["warm_up_s_max"],
        "cold_up_s_max": result["cold_up_s"] <= GOAL["cold_up_s_max"],
        "idle_rss_mb_max": result["idle_rss_mb"] <= GOAL["idle_rss_mb_max"],
    }
    return {"goal": GOAL, "goal_met": all(detail.values()), "goal_detail": detail}


def cleanup(env: dict[str, str], home: Path) -> dict[str, Any]:
    """`sandbox reset --yes`, then check the state dir and PostgreSQL's data are gone."""
    markers = state_markers(home) if home.exists() else [str(home)]
    _, done = run_cli(env, "reset", "--yes")
    if done.returncode != 0:
        print(f"stack_up: reset failed: {(done.stderr or done.stdout).strip()}", file=sys.stderr)
    shutil.rmtree(home, ignore_errors=True)  # our own temp dir, should reset have left it
    return {
        "reset_ok": done.returncode == 0,
        "data_removed": not any(Path(marker).exists() for marker in markers),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-runs", type=int, default=3, help="warm up/down cycles")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="idle before memory")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    home = Path(tempfile.mkdtemp(prefix="sandbox-bench-"))
    env = sandbox_env(home)
    load_before = os.getloadavg()[0]
    try:
        result = measure(env, home, args.warm_runs, args.idle_seconds)
    except BenchError as err:
        print(f"stack_up: the stack could not be measured: {err}", file=sys.stderr)
        return 1
    finally:
        cleanup_result = cleanup(env, home)
    context = {
        "cleanup": cleanup_result,
        "cpu_count": os.cpu_count(),
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps({**result, **judge(result), **context}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
