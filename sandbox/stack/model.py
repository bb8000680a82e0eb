"""What a backend reports: the state of each service and of the stack, in one JSON shape."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class State(StrEnum):
    STARTING = "starting"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    STOPPED = "stopped"
    FAILED = "failed"
    UNSUPERVISED = "unsupervised"  # its process runs, but its supervisor died: nothing watches it


@dataclass
class LastExit:
    code: int | None
    at: float
    log_tail: str
    reason: str = ""  # 'exited with code 3', 'was killed by signal SIGKILL', a spawn error


@dataclass
class ServiceStatus:
    name: str
    state: State = State.STOPPED
    port: int = 0
    url: str = ""
    pid: int | None = None
    pid_started: float | None = None  # the process's create time: guards against PID reuse
    started_at: float | None = None
    restarts: int = 0
    error: str = ""
    last_exit: LastExit | None = None

    def uptime(self, now: float | None = None) -> float | None:
        if self.state not in (State.HEALTHY, State.UNHEALTHY) or self.started_at is None:
            return None
        return round((now or time.time()) - self.started_at, 1)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = str(self.state)
        data["uptime_s"] = self.uptime()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServiceStatus:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values["state"] = State(values.get("state", State.STOPPED))
        if values.get("last_exit"):
            values["last_exit"] = LastExit(**values["last_exit"])
        return cls(**values)


@dataclass
class StackStatus:
    backend: str
    services: dict[str, ServiceStatus] = field(default_factory=dict)
    supervisor_pid: int | None = None
    home: str = ""
    launch_id: str = ""  # tells `up` that this state was written by the supervisor it started
    supervisor_started: float | None = None  # its create time: guards against PID reuse
    lost_supervisor_pid: int | None = None  # set by status(): the supervisor died (kill -9)

    @property
    def all_healthy(self) -> bool:
        return bool(self.services) and all(s.state is State.HEALTHY for s in self.services.values())

    @property
    def unsupervised(self) -> list[str]:
        return [n for n, s in self.services.items() if s.state is State.UNSUPERVISED]

    @property
    def running(self) -> bool:
        return any(s.state is not State.STOPPED for s in self.services.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "home": self.home,
            "supervisor_pid": self.supervisor_pid,
            "launch_id": self.launch_id,
            "supervisor_started": self.supervisor_started,
            "supervisor_lost": self.lost_supervisor_pid is not None,
            "lost_supervisor_pid": self.lost_supervisor_pid,
            "all_healthy": self.all_healthy,
            "services": {name: s.to_dict() for name, s in self.services.items()},
        }
