"""The running embedded stack, as the snapshot parts see it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sandbox.config import Settings
from sandbox.errors import SnapshotError, StackNotRunningError
from sandbox.stack.backend import Backend
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.model import State

NEEDED = ("postgres", "redis", "aws")  # the services whose data a snapshot holds


@dataclass(frozen=True)
class StackView:
    settings: Settings
    backend: EmbeddedBackend

    @property
    def aws_url(self) -> str:
        return self.backend.endpoint("aws")

    def stop(self, services: list[str]) -> None:
        """Stop these services at once (the supervisor keeps them stopped)."""
        _each(self.backend.stop_service, services)

    def start(self, services: list[str]) -> None:
        """Start these services at once and wait until each is healthy."""
        _each(self.backend.start_service, services)


def running_stack(settings: Settings, backend: Backend) -> StackView:
    """The stack, when it is the embedded one and its data services are healthy."""
    if not isinstance(backend, EmbeddedBackend):
        raise SnapshotError(
            f"snapshots work with the embedded backend; this stack runs on {backend.name}",
            "use `sandbox --backend embedded up`, or save that backend's data with its own tools",
        )
    services = backend.status().services
    down = [name for name in NEEDED if services[name].state is not State.HEALTHY]
    if down:
        raise StackNotRunningError(
            f"{', '.join(down)} not running: a snapshot needs the stack up",
            "start it with `sandbox up`",
        )
    return StackView(settings, backend)


def _each(action: Callable[[str], None], services: list[str]) -> None:
    with ThreadPoolExecutor(max(1, len(services))) as pool:
        for future in [pool.submit(action, name) for name in services]:
            future.result()
