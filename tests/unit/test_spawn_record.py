"""A spawned server is on record (its `<log>.pid`) before its program runs, so a supervisor
killed mid-start never leaves a server that nothing knows about."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.errors import ServiceStartError
from sandbox.services import pids
from sandbox.services.process import spawn
from tests.helpers import wait_for

REPO = Path(__file__).resolve().parents[2]

# The service: says its PID and what its pid file held when it started, then runs on.
PROGRAM = """
import os, sys, time
record = sys.argv[1]
print(os.getpid(), open(record).read() if os.path.exists(record) else "missing", flush=True)
time.sleep(30)
"""

# A supervisor that is SIGKILLed inside spawn(), where it records the PID (after printing
# it), or right after spawn() returns.
STARTER = """
import os, signal, sys
from pathlib import Path
from sandbox.services import pids, process

log, when = Path(sys.argv[1]), sys.argv[2]
record = pids.record

def record_then_maybe_die(path, pid):
    print(pid, flush=True)
    if when == "before-record":
        os.kill(os.getpid(), signal.SIGKILL)
    record(path, pid)

pids.record = record_then_maybe_die
process.spawn("demo", [sys.executable, "-c", sys.argv[3], str(pids.pid_file(log))], log)
os.kill(os.getpid(), signal.SIGKILL)
"""


def started(log: Path) -> tuple[int, str]:
    """The PID the service printed and what its pid file held when it started."""
    assert wait_for(lambda: log.exists() and log.read_text().endswith("\n"), 10), "no output"
    pid, seen = log.read_text().split(" ", 1)
    return int(pid), seen.strip()


@pytest.fixture
def left() -> Iterator[list[int]]:
    """PIDs a test started: any still running is killed (by PID) afterwards."""
    started_pids: list[int] = []
    yield started_pids
    for pid in started_pids:
        if pids.alive(pid, None):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            assert wait_for(lambda pid=pid: not pids.alive(pid, None), 5)


def kill_starter_while_spawning(log: Path, when: str, left: list[int]) -> int:
    """Run STARTER, which dies by SIGKILL; the spawned PID it printed."""
    starter = subprocess.run(
        [sys.executable, "-c", STARTER, str(log), when, PROGRAM],
        cwd=REPO, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert starter.returncode == -signal.SIGKILL, starter.stderr
    pid = int(starter.stdout.split()[0])
    left.append(pid)
    return pid


def test_a_service_is_on_record_before_its_program_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, left: list[int]
) -> None:
    record = pids.record

    def slow_record(path: Path, pid: int) -> None:  # a busy supervisor: no head start
        time.sleep(0.5)
        record(path, pid)

    monkeypatch.setattr(pids, "record", slow_record)
    log = tmp_path / "server.log"
    popen = spawn("demo", [sys.executable, "-c", PROGRAM, str(pids.pid_file(log))], log)
    left.append(popen.pid)
    pid, seen = started(log)
    assert pid == popen.pid  # the program itself, not a wrapper around it
    assert seen != "missing"
    on_record = pids.read(pids.pid_file(log))
    assert on_record is not None
    assert on_record.pid == pid
    assert pids.alive(on_record.pid, on_record.created)
    popen.kill()
    popen.wait(5)


def test_a_service_whose_supervisor_dies_before_recording_it_never_runs(
    tmp_path: Path, left: list[int]
) -> None:
    log = tmp_path / "server.log"
    pid = kill_starter_while_spawning(log, "before-record", left)
    assert wait_for(lambda: not pids.alive(pid, None), 5), "it runs with no pid file"
    assert not pids.pid_file(log).exists()
    assert log.read_text() == ""  # the program never started


def test_a_service_whose_supervisor_is_killed_right_after_spawning_stays_on_record(
    tmp_path: Path, left: list[int]
) -> None:
    log = tmp_path / "server.log"
    pid = kill_starter_while_spawning(log, "after-spawn", left)
    assert started(log)[0] == pid
    on_record = pids.read(pids.pid_file(log))
    assert on_record is not None
    assert on_record.pid == pid
    assert pids.alive(on_record.pid, on_record.created)  # adoptable by the next `up`
    pids.terminate(on_record.pid, on_record.created, 5)
    assert not pids.alive(pid, None)


def test_a_program_that_cannot_be_run_is_reported_by_spawn(tmp_path: Path) -> None:
    with pytest.raises(ServiceStartError, match="could not run /nonexistent/server"):
        spawn("demo", ["/nonexistent/server"], tmp_path / "server.log")
    with pytest.raises(ServiceStartError, match="could not run no-such-server-here"):
        spawn("demo", ["no-such-server-here"], tmp_path / "server.log")


def test_a_program_path_is_relative_to_the_services_folder(tmp_path: Path, left: list[int]) -> None:
    script = tmp_path / "run.sh"
    script.write_text('#!/bin/sh\necho ran in "$PWD"\n')
    script.chmod(0o755)
    log = tmp_path / "logs" / "server.log"
    popen = spawn("demo", ["./run.sh"], log, cwd=tmp_path)
    left.append(popen.pid)
    assert popen.wait(10) == 0
    assert log.read_text() == f"ran in {tmp_path}\n"
