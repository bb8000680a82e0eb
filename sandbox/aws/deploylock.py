"""One change to a function at a time: a deploy, a release (`deploy --publish`) and a
rollback hold an exclusive lock on the target and the function while they change it,
whoever runs them (the CLI, the TUI, grading, a pipeline's step).

Two at once would race: PublishVersion publishes whatever code $LATEST holds at that moment,
so one release could smoke-test and promote another deploy's code. The lock is an flock(2)
on a file: the kernel frees it when its holder exits, however it exits, so nothing stale is
left to clean. It covers this machine only; a real account shared with others has none.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from sandbox.errors import DeployBusyError

WAIT_LIMIT_S = 600.0  # a release with a cold worker takes seconds; ten minutes is stuck
POLL_S = 0.05


def lock_path(endpoint: str, function: str) -> Path:
    """A file per target and function, in a folder only this user may write."""
    key = hashlib.sha256(f"{endpoint}\n{function}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"cloud-sandbox-{os.getuid()}" / f"deploy-{key}.lock"


@contextlib.contextmanager
def one_at_a_time(
    endpoint: str,
    function: str,
    on_wait: Callable[[str], None] | None = None,
    limit_s: float = WAIT_LIMIT_S,
) -> Iterator[None]:
    """Hold the function's lock; when another process holds it, say so once (`on_wait`)
    and wait for it, up to `limit_s`."""
    path = lock_path(endpoint, function)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        if not _take(handle):
            if on_wait is not None:
                on_wait(f"another deploy of {function} is running ({_holder(path)}); waiting")
            _wait(handle, function, limit_s, path)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _take(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait(handle: IO[str], function: str, limit_s: float, path: Path) -> None:
    deadline = time.monotonic() + limit_s
    while not _take(handle):
        if time.monotonic() >= deadline:
            raise DeployBusyError(
                f"another deploy of {function} ({_holder(path)}) has held it for over "
                f"{limit_s:g} s",
                "wait for it to finish, or stop that process; then deploy again",
            )
        time.sleep(POLL_S)


def _holder(path: Path) -> str:
    pid = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    return f"process {pid}" if pid.isdigit() else "another process"
