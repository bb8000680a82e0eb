"""The stack: one Backend contract (backend.py), three implementations, one factory.

The compose and external backends are imported only when chosen, so the embedded path never
needs Docker (external.py: services the sandbox does not start, by URL, or real AWS).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from sandbox.config import BACKENDS, Settings
from sandbox.errors import StackNotRunningError
from sandbox.stack.backend import Backend
from sandbox.stack.model import State
from sandbox.stack.specs import TITLES


def choose_backend(
    settings: Settings, flag: str | None = None, env: Mapping[str, str] | None = None
) -> str:
    """The one answer to "which backend?" for every command, the grader and the TUI: the
    --backend flag, else SANDBOX_BACKEND, else the backend the last `up` here used, else
    embedded."""
    env = os.environ if env is None else env
    if flag:
        return flag
    if env.get("SANDBOX_BACKEND", "").strip():
        return settings.backend
    return remembered_backend(settings, env) or "embedded"


def resolve_backend(
    settings: Settings, flag: str | None = None, env: Mapping[str, str] | None = None
) -> Backend:
    """The Backend `choose_backend` names."""
    return get_backend(settings, choose_backend(settings, flag, env))


def get_backend(settings: Settings, name: str | None = None) -> Backend:
    """The backend called `name` (default: settings.backend, i.e. SANDBOX_BACKEND). Commands
    use resolve_backend, which also follows the last `up`."""
    chosen = name or settings.backend
    if chosen == "compose":
        from sandbox.stack.compose import ComposeBackend

        return ComposeBackend(settings)
    if chosen == "external":
        from sandbox.stack.external import ExternalBackend

        return ExternalBackend(settings)
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


NAMES = TITLES  # service -> its name for people ("AWS emulator")


BACKEND_MEMORY = "backend"  # file in the state dir: the backend the last `up` used


def remembered_backend(settings: Settings, env: Mapping[str, str] | None = None) -> str | None:
    """The backend the last `up` in this state dir used, unless SANDBOX_BACKEND is set."""
    env = os.environ if env is None else env
    memory = settings.home / BACKEND_MEMORY
    if "SANDBOX_BACKEND" in env or not memory.exists():
        return None
    remembered = memory.read_text().strip()
    return remembered if remembered in BACKENDS else None


def remember_backend(settings: Settings, name: str) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / BACKEND_MEMORY).write_text(name + "\n")
