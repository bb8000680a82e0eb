"""The stack: one Backend contract (backend.py), two implementations, one factory.

The compose backend is imported only when chosen, so the embedded path never needs Docker.
"""

from __future__ import annotations

from sandbox.config import Settings
from sandbox.stack.backend import Backend


def get_backend(settings: Settings, name: str | None = None) -> Backend:
    """The backend called `name` (default: settings.backend, i.e. SANDBOX_BACKEND)."""
    chosen = name or settings.backend
    if chosen == "compose":
        from sandbox.stack.compose import ComposeBackend

        return ComposeBackend(settings)
    from sandbox.stack.embedded import EmbeddedBackend

    return EmbeddedBackend(settings)
