"""Errors a person may see, each saying what failed and what to do next.

The tree::

    SandboxError                 anything the sandbox reports instead of a traceback
    ├── ConfigError              a SANDBOX_* variable or option has a bad value
    ├── BackendUnavailableError  the chosen backend cannot run here (no Docker engine)
    │   └── UncontrolledServiceError  the external backend was asked to stop/start/read logs
    ├── StateError               the state file is unreadable or corrupt
    ├── StackNotRunningError     a command needs the stack, and it is down
    ├── ReleaseError             a release did not go live (smoke test failed), or no rollback
    ├── DeployBusyError          another deploy of the same function did not finish in time
    ├── WorkflowError            a GitHub Actions workflow cannot run (YAML, schema, needs,
    │                            an expression, an unknown job): each problem names file:line
    ├── SnapshotError            a snapshot cannot be saved, loaded or found
    │   ├── CorruptSnapshotError       an archive is truncated, altered or not a snapshot
    │   └── IncompatibleSnapshotError  made by a newer sandbox, emulator, PostgreSQL or Redis
    └── ServiceError             an embedded server could not be started or stopped
        ├── BinaryNotFoundError  the server program is missing
        ├── PortInUseError       the port is taken by another process
        ├── DataDirError         the data directory cannot be created or written
        └── ServiceStartError    the server exited or never answered (carries its last log lines)

Foreign errors (OSError, subprocess, psycopg2, redis) are translated where they are raised.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base class: `str(err)` is the message, `err.hint` the next step for the user."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        """The full text shown to a person: message, then the hint on its own line."""
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message


class ConfigError(SandboxError):
    """A setting has a value the sandbox cannot use."""


class BackendUnavailableError(SandboxError):
    """The chosen backend cannot run on this machine."""


class UncontrolledServiceError(BackendUnavailableError):
    """The external backend was asked to control a service it did not start."""


class StateError(SandboxError):
    """The state file cannot be read or written."""


class StackNotRunningError(SandboxError):
    """The stack (or the service asked for) is not running."""


class DeployBusyError(SandboxError):
    """Another deploy, release or rollback of the function held it for too long."""


class ReleaseError(SandboxError):
    """A published version did not go live, or `live` cannot be moved as asked."""


class WorkflowError(SandboxError):
    """A workflow file cannot be run as written; the message lists each problem as file:line."""


class SnapshotError(SandboxError):
    """A snapshot cannot be saved, loaded, listed or moved."""


class CorruptSnapshotError(SnapshotError):
    """The archive is damaged: truncated, altered, or not a snapshot at all."""


class IncompatibleSnapshotError(SnapshotError):
    """The snapshot was made by versions this sandbox cannot load."""


class ServiceError(SandboxError):
    """An embedded server failed; `service` names it (postgres, redis, app)."""

    def __init__(self, service: str, message: str, hint: str = "", log_tail: str = "") -> None:
        super().__init__(f"{service}: {message}", hint)
        self.service = service
        self.log_tail = log_tail

    def render(self) -> str:
        text = super().render()
        if self.log_tail:
            text += f"\n  last log lines:\n{_indent(self.log_tail)}"
        return text


class BinaryNotFoundError(ServiceError):
    """The program that runs the server is not installed."""


class PortInUseError(ServiceError):
    """Another process already listens on the port."""


class DataDirError(ServiceError):
    """The server's data directory is not usable."""


class ServiceStartError(ServiceError):
    """The server exited during start or never became ready."""


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())
