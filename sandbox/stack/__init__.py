"""The stack: one Backend contract (backend.py), two implementations, one factory.

The compose backend is imported only when chosen, so the embedded path never needs Docker.
"""

from __future__ import annotations

from sandbox.config import Settings
from sandbox.errors import StackNotRunningError
from sandbox.stack.backend import Backend
from sandbox.stack.model import State


def get_backend(settings: Settings, name: str | None = None) -> Backend:
    """The backend called `name` (default: settings.backend, i.e. SANDBOX_BACKEND)."""
    chosen = name or settings.backend
    if chosen == "compose":
        from sandbox.stack.compose import ComposeBackend

        return ComposeBackend(settings)
    from sandbox.stack.embedded import EmbeddedBackend

    return EmbeddedBackend(settings)


def healthy_endpoint(backend: Backend, service: str) -> str:
    """The service's URL, or a clear error when it is not up (CLI and TUI share it)."""
    state = backend.status().services[service].state
    if state is not State.HEALTHY:
        raise StackNotRunningError(
            f"the {NAMES.get(service, service)} is not running (it is {state})",
            "start the stack with `sandbox up`",
        )
    return backend.endpoint(service)


NAMES = {"aws": "AWS emulator", "app": "app", "postgres": "PostgreSQL", "redis": "Redis"}
