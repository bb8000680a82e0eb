"""The compose backend's cost on a real Docker engine: image builds, `up` to all-healthy,
`down`, and optionally the whole compose test run, with CI's offline stand-in images.

Uses the engine that answers (DOCKER_HOST; on CI `.ci/docker-engine start` and its env
file). Steps, each timed:
  1. the stand-in images, one `.ci/docker/build-images STEP` at a time: warm (the caches as
     they are); with --cold first the images, the builder's cache, the root filesystem
     tarball and the wheelhouse are removed, so every step runs from nothing (debootstrap,
     pip download and apt need Debian's mirror and PyPI; run as root);
  2. `sandbox --backend compose up --json` on a fresh state dir and free ports: the first
     one creates the volumes (PostgreSQL's initdb), then `down` and warm `up`s; after every
     `down` no container of the project may remain;
  3. with --with-tests, `pytest -m compose tests/compose` (the whole compose test run);
  4. `sandbox reset --yes`, and a check that the project's volumes are gone.
A benchmark, not a test: it prints one JSON object and exits 0; it exits 1 with a message
when no engine answers or the stack cannot start. `load_avg_1m` says how busy the machine
was (two cores, shared).

    .venv/bin/python bench/compose_up.py [--cold] [--warm-runs 2] [--with-tests]
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
from pathlib import Path
from typing import Any

from stack_up import BenchError, cli_failure, parse_json, run_cli

from sandbox.stack.compose import project_name
from sandbox.stack.specs import free_port_variables

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / ".ci" / "docker" / "build-images"
OFFLINE = REPO / ".ci" / "docker" / "compose.offline.yaml"
CACHE = Path(os.environ.get("CLOUD_SANDBOX_DOCKER_DIR", "/var/tmp/cloud-sandbox-docker")) / "cache"
STEPS = ("base", "wheels", "python", "postgres", "redis", "ministack", "app")
STAND_INS = "reference=cloud-sandbox-standin/*"
# The goals for the whole compose run (engine, images, tests).
GOAL: dict[str, float] = {"cold_run_s_max": 600, "warm_run_s_max": 60}


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=False)


def require_engine() -> str:
    answer = docker("info", "--format", "{{.ServerVersion}}")
    if answer.returncode != 0:
        where = os.environ.get("DOCKER_HOST", "the default socket")
        raise BenchError(
            f"no Docker engine answers at {where}: start one (CI: `.ci/docker-engine start`, "
            "then `. $(.ci/docker-engine env-file)`)"
        )
    return answer.stdout.strip()


# -- images ---------------------------------------------------------------------------------


def forget_images() -> None:
    """Everything the builds cache, so the next build is cold."""
    for _ in range(len(STEPS)):  # a parent goes only once its children are gone
        images = sorted(set(docker("images", "--quiet", "--filter", STAND_INS).stdout.split()))
        if not images:
            break
        docker("rmi", "--force", *images)
    docker("builder", "prune", "--all", "--force")
    for cached in [*CACHE.glob("rootfs-*.tar"), *CACHE.glob("wheels-*")]:
        shutil.rmtree(cached) if cached.is_dir() else cached.unlink()


def build_images() -> dict[str, float]:
    seconds = {}
    for step in STEPS:
        started = time.perf_counter()
        done = subprocess.run([str(BUILD), step], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchError(f"build-images {step} failed:\n{done.stderr.strip()[-2000:]}")
        seconds[step] = round(time.perf_counter() - started, 2)
    return seconds


# -- the stack ------------------------------------------------------------------------------


def compose_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env.update(SANDBOX_HOME=str(home), SANDBOX_AWS_EMULATOR="free")
    env["SANDBOX_COMPOSE_FILES"] = str(OFFLINE)
    return {**env, **free_port_variables()}


def up(env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """Seconds to all-healthy, and when each service's container started (seconds after
    the command began: which one holds the start back)."""
    began = time.time()
    seconds, done = run_cli(env, "--backend", "compose", "up", "--json", "--timeout", "300")
    if done.returncode != 0:
        raise cli_failure("--backend compose up", done)
    status = parse_json(done.stdout, "up --json")
    if status.get("already_running"):
        raise BenchError("a stack was already running; the timing would be wrong")
    started = {
        name: round(service["started_at"] - began, 2)
        for name, service in status["services"].items()
        if service.get("started_at") is not None
    }
    return round(seconds, 3), started


def down(env: dict[str, str], project: str, left: list[str]) -> float:
    seconds, done = run_cli(env, "--backend", "compose", "down")
    if done.returncode != 0:
        raise cli_failure("--backend compose down", done)
    mine = f"label=com.docker.compose.project={project}"
    left.extend(docker("ps", "-aq", "--filter", mine).stdout.split())
    return round(seconds, 3)


def measure_stack(env: dict[str, str], warm_runs: int) -> dict[str, Any]:
    project = project_name(Path(env["SANDBOX_HOME"]))
    overhead, _ = run_cli(env, "--backend", "compose", "status", "--json")  # exit 3: not up
    left: list[str] = []
    first_s, first_started = up(env)
    downs = [down(env, project, left)]
    warm, warm_started = [], []
    for _ in range(warm_runs):
        seconds, started = up(env)
        warm.append(seconds)
        warm_started.append(started)
        downs.append(down(env, project, left))
    return {
        "first_up_s": first_s,
        "first_up_started_s": first_started,
        "warm_up_s": warm,
        "warm_up_median_s": round(statistics.median(warm), 3) if warm else None,
        "warm_up_started_s": warm_started[-1] if warm_started else None,
        "down_s": downs[0],
        "down_s_all": downs,
        "after_down_no_container_left": not left,
        "cli_overhead_s": round(overhead, 3),
    }


def run_tests() -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "compose", "tests/compose"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"the compose tests failed:\n{done.stdout[-3000:]}")
    return round(time.perf_counter() - started, 1)


def cleanup(env: dict[str, str]) -> dict[str, Any]:
    home = Path(env["SANDBOX_HOME"])
    project = project_name(home)
    _, done = run_cli(env, "--backend", "compose", "reset", "--yes")
    volumes = docker(
        "volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}"
    )
    if volumes.stdout.split():  # reset failed: remove them ourselves, and say so
        docker("compose", "-p", project, "down", "--volumes", "--remove-orphans")
    shutil.rmtree(home, ignore_errors=True)
    return {"reset_ok": done.returncode == 0, "volumes_removed": not volumes.stdout.split()}


# -- the run --------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", action="store_true", help="build every image from nothing")
    parser.add_argument("--warm-runs", type=int, default=2, help="warm up/down cycles")
    parser.add_argument("--with-tests", action="store_true", help="time the compose tests too")
    return parser.parse_args()


def measure(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {"engine": require_engine()}
    if args.cold:
        forget_images()
    result["image_builds"] = timed_builds("cold" if args.cold else "warm")
    if args.cold:  # the same builds straight after: what the cache gives
        result["image_builds_again"] = timed_builds("warm")
    result.update(measure_stack(env, args.warm_runs))
    if args.with_tests:
        tests = run_tests()
        result["compose_tests_s"] = tests
        result["compose_run_s"] = round(result["image_builds"]["total_s"] + tests, 1)
    return result


def timed_builds(kind: str) -> dict[str, Any]:
    steps = build_images()
    return {"kind": kind, "steps_s": steps, "total_s": round(sum(steps.values()), 1)}


def judge(result: dict[str, Any], cold: bool) -> dict[str, Any]:
    """The whole run (images + tests) against the goal for its kind; None if not measured."""
    run = result.get("compose_run_s")
    key = "cold_run_s_max" if cold else "warm_run_s_max"
    return {"goal": GOAL, "goal_judged": key, "goal_met": None if run is None else run <= GOAL[key]}


def main() -> int:
    args = parse_args()
    env = compose_env(Path(tempfile.mkdtemp(prefix="sandbox-compose-bench-")))
    load_before = os.getloadavg()[0]
    try:
        result = measure(args, env)
    except BenchError as err:
        print(f"compose_up: could not measure: {err}", file=sys.stderr)
        return 1
    finally:
        cleaned = cleanup(env) if docker("info").returncode == 0 else {}
    context = {
        "cleanup": cleaned,
        "cpu_count": os.cpu_count(),
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps({**result, **judge(result, args.cold), **context}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
