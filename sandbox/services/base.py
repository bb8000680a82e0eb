"""What the sandbox knows about one service, in one place.

Adding a service is one module under sandbox/services/ that defines
`DEFINITION = ServiceDef(...)`, plus one line in sandbox/services/registry.py. Its port
setting (SANDBOX_<NAME>_PORT), the CLI's choices, the supervisor's start and stop order,
`status` and the compose mapping all come from these definitions.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sandbox.readiness import Readiness
from sandbox.services.process import ServerProcess

if TYPE_CHECKING:  # Settings reads the registry for its ports: no import at run time
    from sandbox.config import Settings


@dataclass(frozen=True)
class ServiceDef:
    name: str
    title: str  # for people: "AWS emulator"
    default_port: int
    launch: Callable[[Settings], ServerProcess]  # start it; return once it is ready
    readiness: Callable[[Settings], Readiness]
    url: Callable[[int], str]  # the URL a client uses, from the port
    depends_on: tuple[str, ...] = ()  # started after these are healthy, stopped before them
    stop_signal: int = signal.SIGTERM  # to stop a process of it we did not spawn ourselves
    container_port: int | None = None  # its port inside compose.yaml's container; None: not there

    @property
    def port_variable(self) -> str:
        return f"SANDBOX_{self.name.upper()}_PORT"
