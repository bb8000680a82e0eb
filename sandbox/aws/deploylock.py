"""One change to a function at a time: a deploy, a release (`deploy --publish`) and a
rollback hold an exclusive lock on the target and the function while they change it,
whoever runs them (the CLI, the TUI, grading, a pipeline's step).

Two at once would race: PublishVersion publishes whatever code $LATEST holds at that moment,
so one release could smoke-test and promote another deploy's code. The lock is a
`sandbox.processlock` (an flock(2), freed when its holder exits however it exits). It covers
this machine only; a real account shared with others has none.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from sandbox import processlock
from sandbox.errors import DeployBusyError

WAIT_LIMIT_S = 600.0  # a release with a cold worker takes seconds; ten minutes is stuck


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

    def waiting(holder: str) -> None:
        if on_wait is not None:
            on_wait(f"another deploy of {function} is running ({holder}); waiting")

    def stuck(holder: str) -> DeployBusyError:
        return DeployBusyError(
            f"another deploy of {function} ({holder}) has held it for over {limit_s:g} s",
            "wait for it to finish, or stop that process; then deploy again",
        )

    with processlock.hold(path, "", limit_s, waiting, stuck):
        yield
