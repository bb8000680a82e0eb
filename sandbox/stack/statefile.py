"""The stack's state file (`<home>/stack.json`): written by the supervisor, read by commands.

Writes are atomic (`sandbox.atomicfile`), so a reader never sees half a file.
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox import atomicfile
from sandbox.errors import StateError
from sandbox.stack.model import ServiceStatus, StackStatus

FILE_NAME = "stack.json"


def path(home: Path) -> Path:
    return home / FILE_NAME


def write(home: Path, status: StackStatus) -> None:
    atomicfile.write_text(path(home), json.dumps(status.to_dict(), indent=2))


def read(home: Path) -> StackStatus | None:
    """The last written status, or None when the stack never ran here."""
    file = path(home)
    try:
        data = json.loads(file.read_text())
        services = {
            name: ServiceStatus.from_dict(entry) for name, entry in data["services"].items()
        }
        return StackStatus(
            backend=data["backend"],
            services=services,
            supervisor_pid=data.get("supervisor_pid"),
            home=data.get("home", str(home)),
            launch_id=data.get("launch_id", ""),
            supervisor_started=data.get("supervisor_started"),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise StateError(
            f"the state file {file} is unreadable or corrupt ({type(err).__name__}: {err})",
            f"stop any sandbox processes you know of, then delete {file} or run "
            "`sandbox reset --yes`",
        ) from err
