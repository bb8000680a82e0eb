"""Small helpers shared by the tests (no fixtures here: see conftest.py)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

from sandbox.services.process import free_ports


def free_port() -> int:
    """A port nothing listens on right now, on loopback."""
    return free_ports()[0]


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll until `condition()` is true or `timeout` passes; return the last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def ctrl_c_works() -> None:
    """A child process's preexec_fn for tests that send it SIGINT: a test run started as a
    shell's background job ignores SIGINT, its children inherit that, and Python installs
    its KeyboardInterrupt handler only when SIGINT is not ignored as it starts."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
