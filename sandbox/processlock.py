"""Locks one process holds at a time, whoever runs it: the CLI, the TUI, a `--watch` grader,
a pipeline's step.

- `hold`: while it changes something shared for a while (a function's code, the stack under
  grading). The holder writes its PID and what it does into the lock file, so a process that
  has to wait can say for whom, and gives up after a limit.
- `locked`: around a short read-modify-write of a state file (progress, lab services):
  without it, two writers that read the same old version each write back their own change,
  and one is lost.

Both are an flock(2) on a file: the kernel frees it when its holder exits, however it exits,
so nothing stale is left to clean.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

POLL_S = 0.05
NAMING_S = 0.2  # how long a waiter waits for the holder to write its name
UNNAMED = "another process"


@contextlib.contextmanager
def hold(
    path: Path,
    doing: str,
    limit_s: float,
    on_wait: Callable[[str], None] | None = None,
    stuck: Callable[[str], Exception] | None = None,
) -> Iterator[None]:
    """Hold the lock at `path`, saying `doing` to processes that wait for it. When another
    process holds it: `on_wait(holder)` once, then wait up to `limit_s` and raise
    `stuck(holder)` (TimeoutError by default). `holder` reads "process 123 (what it does)"."""
    with path.open("a+", encoding="utf-8") as handle:
        if not _take(handle):
            if on_wait is not None:
                on_wait(_named_holder(path))
            _wait(handle, path, limit_s, stuck or TimeoutError)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {doing}".rstrip() + "\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the lock for the state file `path` (a `.lock` file beside it), waiting for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _named_holder(path: Path) -> str:
    """The holder, once it has written who it is: it writes right after taking the lock."""
    deadline = time.monotonic() + NAMING_S
    while (who := holder(path)) == UNNAMED and time.monotonic() < deadline:
        time.sleep(POLL_S / 5)
    return who


def holder(path: Path) -> str:
    try:
        pid, _, doing = path.read_text(encoding="utf-8").strip().partition(" ")
    except OSError:
        pid, doing = "", ""
    if not pid.isdigit():
        return UNNAMED
    return f"process {pid} ({doing})" if doing else f"process {pid}"


def _take(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait(handle: IO[str], path: Path, limit_s: float, stuck: Callable[[str], Exception]) -> None:
    deadline = time.monotonic() + limit_s
    while not _take(handle):
        if time.monotonic() >= deadline:
            raise stuck(holder(path))
        time.sleep(POLL_S)
