"""Processes we started, known by PID and create time, so a reused PID is never signalled.

spawn() writes `<log>.pid` before the server's program even runs (see process.GATE), so a
supervisor that dies mid-start leaves either a record that the next `up` can adopt or stop
by PID, or no server at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class PidRecord:
    pid: int
    created: float | None  # the process's create time; None: accept any process with the PID


def pid_file(log_path: Path) -> Path:
    """Where the PID of the server logging to `log_path` is kept (beside its log)."""
    return log_path.with_suffix(".pid")


def record(path: Path, pid: int) -> None:
    data = {"pid": pid, "created": create_time(pid)}
    with contextlib.suppress(OSError):  # a missing record only costs the adoption later
        path.write_text(json.dumps(data))


def read(path: Path) -> PidRecord | None:
    try:
        data = json.loads(path.read_text())
        return PidRecord(int(data["pid"]), data.get("created"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def alive(pid: int | None, created: float | None) -> bool:
    """True when `pid` runs and (if known) is the same process we started, not a reused PID."""
    if pid is None:
        return False
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return created is None or abs(process.create_time() - created) < 1.0
    except psutil.Error:
        return False


def terminate(pid: int, created: float | None, timeout: float, sig: int = signal.SIGTERM) -> None:
    """`sig`, wait, then SIGKILL: only the process we started (checked by create time)."""
    if not alive(pid, created):
        return
    try:
        psutil.Process(pid).send_signal(sig)
        # Poll with alive(), not Process.wait: a detached process that exited stays a zombie
        # until init reaps it, which can take seconds; for us it is gone already.
        if not wait_gone(pid, created, timeout):
            psutil.Process(pid).kill()
            wait_gone(pid, created, 5)
    except psutil.NoSuchProcess:
        pass
    end_group(pid)


def end_group(leader: int) -> None:
    """SIGKILL what is left of the process group `leader` led. Every server is spawned in a
    session of its own, so its group holds only its own children (the emulator's Lambda
    workers, a stray gunicorn worker) that would otherwise outlive it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signal.SIGKILL)


def wait_gone(pid: int, created: float | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid, created):
            return True
        time.sleep(0.05)
    return not alive(pid, created)
