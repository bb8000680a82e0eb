"""Nothing stuck: a dead supervisor, a killed `up`, a crashed or failed service are seen,
explained and repaired by `status`, `up`, `start` and `restart`, on the real stack."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from tests.helpers import wait_for
from tests.integration.test_cli import SANDBOX, run, sandbox_env

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = sandbox_env(tmp_path / "home")
    yield env
    run(env, "down")
    run(env, "reset", "--yes")


def state_file(env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    return json.loads((Path(env["SANDBOX_HOME"]) / "stack.json").read_text())  # type: ignore[no-any-return]


def status_json(env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    return json.loads(run(env, "status", "--json").stdout)  # type: ignore[no-any-return]


def service_pids(status: dict) -> dict[str, int]:  # type: ignore[type-arg]
    return {name: s["pid"] for name, s in status["services"].items()}


def kill9(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not _running(pid), 5)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def postgres_servers_on(port: str) -> list[psutil.Process]:
    """PostgreSQL postmasters started for this port (by their command line)."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmd = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and "-p" in cmd and port in cmd:
            found.append(proc)
    return found


def test_a_killed_supervisor_is_reported_and_up_adopts_the_running_services(
    env: dict[str, str],
) -> None:
    assert run(env, "up").returncode == 0
    before = status_json(env)
    kill9(before["supervisor_pid"])

    status = run(env, "status")
    assert status.returncode != 0
    assert "supervisor: not running" in status.stdout
    assert "still running, unsupervised: postgres, redis, aws, faults, app" in status.stdout
    listed = status_json(env)
    assert {s["state"] for s in listed["services"].values()} == {"unsupervised"}
    assert listed["supervisor_lost"] is True

    started = time.monotonic()
    up = run(env, "up", "--json")
    took = time.monotonic() - started
    assert up.returncode == 0, up.stderr
    after = json.loads(up.stdout)
    assert after["all_healthy"] is True
    assert took < 5, f"up took {took:.1f} s"
    assert service_pids(after) == service_pids(before)  # adopted, not restarted
    assert len(postgres_servers_on(env["SANDBOX_POSTGRES_PORT"])) == 1
    assert "adopted" in run(env, "logs", "app").stdout


def test_an_adopted_service_that_crashes_is_restarted(env: dict[str, str]) -> None:
    assert run(env, "up").returncode == 0
    kill9(status_json(env)["supervisor_pid"])
    assert run(env, "up").returncode == 0
    redis_pid = status_json(env)["services"]["redis"]["pid"]
    kill9(redis_pid)
    assert wait_for(lambda: status_json(env)["all_healthy"], 20)
    assert status_json(env)["services"]["redis"]["pid"] != redis_pid


def test_up_after_a_killed_up_waits_for_the_start_that_is_running(env: dict[str, str]) -> None:
    first = subprocess.Popen([*SANDBOX, "up"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    assert wait_for(lambda: (Path(env["SANDBOX_HOME"]) / "stack.json").exists(), 15)
    first.kill()
    first.wait(5)
    up = run(env, "up", "--json")
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["all_healthy"] is True
    assert len(postgres_servers_on(env["SANDBOX_POSTGRES_PORT"])) == 1


def test_up_after_the_supervisor_died_mid_start_never_starts_a_second_server(
    env: dict[str, str],
) -> None:
    first = subprocess.Popen([*SANDBOX, "up"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    home = Path(env["SANDBOX_HOME"])
    # PostgreSQL's PID is on disk as soon as it is spawned, before it is ready.
    assert wait_for(lambda: (home / "logs" / "postgres.pid").exists(), 30)
    first.kill()  # the waiting `up` too: nothing stops the leftovers for us
    first.wait(5)
    kill9(state_file(env)["supervisor_pid"])

    up = run(env, "up", "--json")
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["all_healthy"] is True
    assert len(postgres_servers_on(env["SANDBOX_POSTGRES_PORT"])) == 1
    assert "lock file" not in run(env, "logs", "postgres").stdout


def test_down_after_the_supervisor_died_stops_every_service(env: dict[str, str]) -> None:
    assert run(env, "up").returncode == 0
    before = status_json(env)
    kill9(before["supervisor_pid"])
    assert run(env, "down").returncode == 0
    assert not any(_running(pid) for pid in service_pids(before).values())


def test_a_crash_is_explained_in_the_service_log_and_in_status(env: dict[str, str]) -> None:
    assert run(env, "up").returncode == 0
    kill9(status_json(env)["services"]["redis"]["pid"])
    assert wait_for(lambda: status_json(env)["all_healthy"], 20)
    assert (
        "[sandbox] redis was killed by signal SIGKILL; restarting"
        in run(env, "logs", "redis").stdout
    )
    last_exit = status_json(env)["services"]["redis"]["last_exit"]
    assert last_exit["reason"] == "was killed by signal SIGKILL"
    assert "redis: last exit at" in run(env, "status").stdout


def test_a_failed_service_starts_again_at_once_with_a_fresh_crash_count(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The app's folder vanishes (a lab reset under a running stack): it crash-loops to
    failed with the reason; once the folder is back, start and restart act at once."""
    app_dir = tmp_path / "learner"
    shutil.copytree(REPO / "app", app_dir / "app", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**env, "SANDBOX_APP_DIR": str(app_dir)}
    assert run(env, "up").returncode == 0
    hidden = tmp_path / "hidden"
    app_dir.rename(hidden)
    kill9(status_json(env)["services"]["app"]["pid"])
    assert wait_for(lambda: status_json(env)["services"]["app"]["state"] == "failed", 60)
    app = status_json(env)["services"]["app"]
    assert "crashed 5 times in a row" in app["error"]
    assert f"{app_dir} does not exist" in app["error"]
    assert f"{app_dir} does not exist" in run(env, "logs", "app").stdout

    started = time.monotonic()
    still_missing = run(env, "start", "app")
    assert still_missing.returncode == 1
    assert "does not exist" in still_missing.stderr
    assert time.monotonic() - started < 10  # says why at once, no 60 s wait

    hidden.rename(app_dir)
    restarted = run(env, "restart", "app")
    assert restarted.returncode == 0, restarted.stderr
    url = status_json(env)["services"]["app"]["url"]
    assert requests.get(url + "/health", timeout=5).status_code == 200
