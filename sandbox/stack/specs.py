"""The services of the stack as these settings place them: port, URL, readiness.

Both backends start the same services; only how they run them differs. What each service
is comes from sandbox/services/registry.py.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass

from sandbox.config import Settings
from sandbox.readiness import Readiness
from sandbox.services import registry
from sandbox.services.process import free_ports

SERVICE_NAMES = registry.names()
STOP_ORDER = registry.stop_order()
TITLES = {d.name: d.title for d in registry.SERVICES}


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    url: str
    readiness: Readiness
    depends_on: tuple[str, ...] = ()
    stop_signal: int = signal.SIGTERM  # how to stop a process of it we did not spawn ourselves


def service_specs(settings: Settings) -> dict[str, ServiceSpec]:
    return {
        d.name: ServiceSpec(
            d.name,
            settings.ports[d.name],
            d.url(settings.ports[d.name]),
            d.readiness(settings),
            d.depends_on,
            d.stop_signal,
        )
        for d in registry.SERVICES
    }


def port_variables(ports: Mapping[str, int]) -> dict[str, str]:
    """SANDBOX_<NAME>_PORT for each service: what a child process needs to find them."""
    variables = {d.name: d.port_variable for d in registry.SERVICES}
    return {variables[name]: str(port) for name, port in ports.items()}


def free_port_variables() -> dict[str, str]:
    """SANDBOX_<NAME>_PORT for every service, each on a port free now: a stack of its own
    (tests, benchmarks, lab validation)."""
    names = registry.names()
    return port_variables(dict(zip(names, free_ports(len(names)), strict=True)))
