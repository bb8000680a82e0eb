"""Plain-text rendering of a stack status for people (the CLI prints it)."""

from __future__ import annotations

import time

from sandbox.stack.model import ServiceStatus, StackStatus

COLUMNS = ("SERVICE", "STATE", "PID", "PORT", "UPTIME", "RESTARTS", "URL")


def status_table(status: StackStatus) -> str:
    rows = [COLUMNS] + [_row(s) for s in status.services.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [f"backend: {status.backend}   state dir: {status.home}"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines += [note for s in status.services.values() for note in _notes(s)]
    lines += _supervisor_notes(status)
    return "\n".join(line.rstrip() for line in lines)


def _supervisor_notes(status: StackStatus) -> list[str]:
    if status.lost_supervisor_pid is None:
        return []
    notes = [f"supervisor: not running (pid {status.lost_supervisor_pid} died without "
             "stopping the stack); nothing restarts a service that crashes"]  # fmt: skip
    if not status.unsupervised:
        return [*notes, "  -> `sandbox up` starts the stack again"]
    notes.append(f"  still running, unsupervised: {', '.join(status.unsupervised)}")
    notes.append("  -> `sandbox up` takes the running services over (or `sandbox down` stops them)")
    return notes


def _row(service: ServiceStatus) -> tuple[str, ...]:
    uptime = service.uptime()
    return (
        service.name,
        str(service.state),
        str(service.pid or "-"),
        str(service.port),
        duration(uptime) if uptime is not None else "-",
        str(service.restarts),
        service.url,
    )


def _notes(service: ServiceStatus) -> list[str]:
    notes = []
    if service.error:
        notes.append(f"{service.name}: {service.error}")
    if service.last_exit:
        when = time.strftime("%H:%M:%S", time.localtime(service.last_exit.at))
        reason = service.last_exit.reason or f"exit code {service.last_exit.code}"
        notes.append(f"{service.name}: last exit at {when}: {reason}")
    return notes


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
