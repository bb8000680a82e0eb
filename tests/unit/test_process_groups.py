"""A server's own children (the emulator's Lambda workers) never outlive it."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from sandbox.services import pids
from sandbox.services.process import ServerProcess, spawn
from tests.helpers import wait_for

# A parent that starts a child which ignores SIGTERM, prints its PID, then waits.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def child_pid(log: Path) -> int:
    assert wait_for(lambda: log.exists() and log.read_text().strip().isdigit(), 10)
    return int(log.read_text().strip())


def test_stopping_a_server_ends_the_children_it_left(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    popen = spawn("demo", [sys.executable, "-c", PARENT], log)
    server = ServerProcess("demo", popen, 0, "", log, signal.SIGTERM)
    child = child_pid(log)
    server.stop(timeout=5)
    assert wait_for(lambda: not pids.alive(child, None), 5)


def test_a_server_that_died_has_its_children_ended_by_pid(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    popen = spawn("demo", [sys.executable, "-c", PARENT], log)
    child = child_pid(log)
    popen.kill()
    popen.wait(5)
    time.sleep(0.1)
    assert pids.alive(child, None)  # orphaned, still running
    pids.end_group(popen.pid)
    assert wait_for(lambda: not pids.alive(child, None), 5)


def test_spawn_records_the_pid_beside_the_log_at_once(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    popen = spawn("demo", [sys.executable, "-c", "import time; time.sleep(30)"], log)
    try:
        record = pids.read(pids.pid_file(log))
        assert record is not None
        assert record.pid == popen.pid
        assert pids.alive(record.pid, record.created)
    finally:
        popen.kill()
        popen.wait(5)
