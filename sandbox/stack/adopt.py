"""Finding a service's process left running by a supervisor that died (kill -9, OOM).

Only processes we recorded are considered: the PID in the last state file and the PID
written at spawn beside the service's log (a start the dead supervisor had not finished).
Each must still be the same process (create time). A healthy one is adopted; one that runs
but does not answer is stopped by PID, so a new start never meets a second server on the
same port or data directory.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sandbox.services import pids
from sandbox.services.process import AdoptedProcess
from sandbox.stack.model import ServiceStatus
from sandbox.stack.specs import ServiceSpec

STOP_TIMEOUT = 15.0

log = logging.getLogger("sandbox.supervisor")


def leftovers(previous: ServiceStatus | None, log_path: Path) -> list[pids.PidRecord]:
    """The recorded processes of one service that still run."""
    found = []
    if previous is not None and previous.pid is not None:
        found.append(pids.PidRecord(previous.pid, previous.pid_started))
    spawned = pids.read(pids.pid_file(log_path))
    if spawned is not None:
        found.append(spawned)
    unique = {r.pid: r for r in found if pids.alive(r.pid, r.created)}
    return list(unique.values())


def find(
    spec: ServiceSpec, previous: ServiceStatus | None, log_path: Path
) -> AdoptedProcess | None:
    """The service's surviving process, adopted, or None (anything unhealthy is stopped)."""
    running = leftovers(previous, log_path)
    if len(running) == 1 and spec.readiness():
        record = running[0]
        since = previous.started_at if previous and previous.pid == record.pid else None
        adopted = AdoptedProcess(spec.name, record.pid, record.created, log_path, spec.stop_signal)
        if since is not None:
            adopted.started_at = since
        return adopted
    for record in running:
        log.warning("%s: stopping pid %s left by a dead supervisor", spec.name, record.pid)
        pids.terminate(record.pid, record.created, STOP_TIMEOUT, spec.stop_signal)
    return None
