"""Running the TUI in a terminal, and what it says on the way out."""

from __future__ import annotations

from sandbox.errors import SandboxError
from sandbox.tui.source import DataSource, RealSource


def run(backend: str | None = None) -> str:
    """Run the app until the learner quits; return the note about the stack to print."""
    from sandbox.tui.app import SandboxApp

    source = RealSource(backend=backend)
    SandboxApp(source).run()
    return exit_note(source)


def exit_note(source: DataSource) -> str:
    """The stack outlives the TUI unless the learner stopped it: say which."""
    try:
        status = source.status()
    except SandboxError as err:
        return f"Could not read the stack's state: {err.render()}"
    if status.running:
        return (f"The stack is still running ({status.backend} backend); "
                "`sandbox down` stops it, `sandbox` opens this screen again.")  # fmt: skip
    return "The stack is stopped; `sandbox up` (or u in `sandbox`) starts it."
