"""Shutdown state for the liveness probe, and closing the pools (twelve-factor IX)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from flask import Flask

log = logging.getLogger("app.lifecycle")
EXTENSION = "lifecycle"


class Lifecycle:
    def __init__(self) -> None:
        self.shutting_down = threading.Event()

    def begin_shutdown(self) -> None:
        if not self.shutting_down.is_set():
            log.info("shutdown began: finishing in-flight requests")
            self.shutting_down.set()


def init_app(app: Flask) -> Lifecycle:
    lifecycle = Lifecycle()
    app.extensions[EXTENSION] = lifecycle
    return lifecycle


def of(app: Flask) -> Lifecycle:
    lifecycle: Lifecycle = app.extensions[EXTENSION]
    return lifecycle


def chain_shutdown_signals(app: Flask) -> None:
    """Mark shutdown on SIGTERM/SIGINT/SIGQUIT, then call the server's own handler.

    Called from gunicorn's post_worker_init hook, after the worker installed its handlers,
    so gunicorn's graceful drain still happens.
    """
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        previous = signal.getsignal(signum)
        signal.signal(signum, _marker(app, previous))


def _marker(app: Flask, previous: Any) -> Any:
    def handler(signum: int, frame: FrameType | None) -> None:
        of(app).begin_shutdown()
        if callable(previous):
            previous(signum, frame)

    return handler


def close_resources(app: Flask) -> None:
    """Close the database pool and the cache connection; safe to call twice."""
    for name in ("database", "cache"):
        resource = app.extensions.get(name)
        if resource is not None:
            resource.close()
    log.info("connections closed")
