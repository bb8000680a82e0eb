"""The one contract every backend satisfies (embedded processes, or Docker compose).

start(progress)          bring every service up; return once all are healthy
stop()                   stop everything; data persists
reset()                  stop everything and delete all data
status()                 per service: state, pid, port, url, uptime, restarts
endpoint(service)        the URL a client uses for a service
logs(service, since, follow, stop)   log lines, oldest first
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sandbox.errors import ConfigError
from sandbox.stack.model import StackStatus
from sandbox.stack.specs import SERVICE_NAMES


@dataclass
class StartResult:
    status: StackStatus
    already_running: bool


class Backend(Protocol):
    name: str

    def start(
        self, progress: Callable[[StackStatus], None] | None = None, timeout: float = ...
    ) -> StartResult: ...

    def stop(self, timeout: float = ...) -> StackStatus: ...

    def reset(self) -> None: ...

    def stop_service(self, service: str, timeout: float = ...) -> None:
        """Stop one service and keep it stopped until start_service (for fault checks)."""

    def start_service(self, service: str, timeout: float = ...) -> None: ...

    def reload_app(self, timeout: float = ...) -> None:
        """Make the app load its code again (a learner edited it)."""

    def status(self) -> StackStatus: ...

    def endpoint(self, service: str) -> str: ...

    def logs(
        self,
        service: str | None = None,
        since: datetime | None = None,
        follow: bool = False,
        stop: Callable[[], bool] = ...,
    ) -> Iterator[str]: ...


def unknown_service(name: str) -> ConfigError:
    return ConfigError(
        f"there is no service called {name!r}",
        f"use one of: {', '.join(SERVICE_NAMES)}",
    )
