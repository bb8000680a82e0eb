"""A step's command in a process group of its own, its output passed on line by line as it
comes, and the whole group stopped on a timeout or Ctrl-C.

The output is read with a selector, not a blocking read: a step may leave a background
process holding the pipe (`server &`), so the step ends when its own process exits, after
what is already written has been read. The rest of that pipe is drained and dropped (the
background process must not fail writing to a closed pipe); its group is stopped at the
end of the job, as GitHub's runner cleans up orphan processes.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil

GRACE_SECONDS = 2.0  # from SIGTERM to SIGKILL, for a group that is being stopped
CHUNK = 65536


@dataclass(frozen=True)
class Finished:
    exit_code: int
    timed_out: bool
    group: int  # the process group id (the step's pid), for cleaning up after the job


def run_streaming(
    argv: list[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float | None,
    on_line: Callable[[str], None],
) -> Finished:
    """Run `argv` until it exits or `timeout` seconds pass (then stop its group)."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None  # stdout=PIPE above
    reader = _Reader(os.dup(proc.stdout.fileno()), on_line)  # the reader owns and closes it
    proc.stdout.close()
    reader.start()
    timed_out = False
    try:
        if not wait_exit(proc, timeout):
            timed_out = True
            stop_group(proc.pid, proc)
    except BaseException:  # Ctrl-C: stop the step's processes, then let it go on up
        stop_group(proc.pid, proc)
        raise
    finally:
        reader.finish()
    return Finished(proc.returncode, timed_out, proc.pid)


def wait_exit(proc: subprocess.Popen[bytes], timeout: float | None) -> bool:
    """Whether the process exited within `timeout`. Popen.wait(timeout) polls with sleeps of
    up to 50 ms; a pidfd (Linux) says at once, which keeps the runner's cost per step low."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux: Popen's own polling
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(pidfd, selectors.EVENT_READ)
            if not selector.select(timeout):
                return False
    finally:
        os.close(pidfd)
    proc.wait()
    return True


def stop_group(group: int, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """SIGTERM to every process in the group, SIGKILL to any left after a grace period.
    True when there was a process to stop."""
    found = _signal(group, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while found and group_alive(group, proc):
        if time.monotonic() > deadline:
            _signal(group, signal.SIGKILL)
            break
        time.sleep(0.02)
    if proc is not None:
        proc.wait()
    return found


def group_alive(group: int, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """Whether a live process is in the group. Zombies do not count: where PID 1 does not
    reap orphans (some containers), a dead background process stays a zombie member."""
    if proc is not None:
        proc.poll()  # our own child, once dead, is a zombie until reaped here
    if not _signal(group, 0):
        return False
    for process in psutil.process_iter(["status"]):
        with contextlib.suppress(OSError, psutil.Error):
            if process.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(process.pid) == group:
                return True
    return False


def _signal(group: int, number: int) -> bool:
    try:
        os.killpg(group, number)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, not ours to signal (it cannot be: a group we started)
    return True


class _Reader(threading.Thread):
    """Reads the pipe into lines. finish(): pass on what is already written, then keep
    draining in the background without passing anything on."""

    def __init__(self, fd: int, on_line: Callable[[str], None]) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.on_line = on_line
        self.wake_read, self.wake_write = os.pipe()
        self.caught_up = threading.Event()
        self.stopping = False

    def finish(self) -> None:
        self.stopping = True
        os.write(self.wake_write, b"x")
        self.caught_up.wait()
        for fd in (self.wake_read, self.wake_write):  # the thread no longer selects on them
            os.close(fd)

    def run(self) -> None:
        pending = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.fd, selectors.EVENT_READ)
            selector.register(self.wake_read, selectors.EVENT_READ)
            while True:
                ready = {key.fd for key, _ in selector.select(0 if self.stopping else None)}
                if self.fd not in ready:
                    if self.stopping and self.wake_read not in ready:
                        break  # everything written so far is read
                    if self.wake_read in ready:
                        selector.unregister(self.wake_read)
                    continue
                chunk = os.read(self.fd, CHUNK)
                if not chunk:
                    break
                pending = self._lines(pending + chunk)
        if pending:
            self.on_line(pending.decode("utf-8", errors="replace"))
        self.caught_up.set()
        self._drain()

    def _lines(self, data: bytes) -> bytes:
        *complete, rest = data.split(b"\n")
        for raw in complete:
            self.on_line(raw.decode("utf-8", errors="replace").rstrip("\r"))
        return rest

    def _drain(self) -> None:
        """Read until every holder of the pipe is gone, dropping it, then close it."""
        with contextlib.suppress(OSError):
            while os.read(self.fd, CHUNK):
                pass
        os.close(self.fd)
