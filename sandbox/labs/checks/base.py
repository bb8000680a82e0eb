"""What every check kind shares: results, the context checks run in, and the registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"  # could not evaluate (e.g. the stack is down): neither pass nor fail


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str
    unreachable: str | None = None  # UNKNOWN because this service could not be reached

    @classmethod
    def passed(cls, message: str = "ok") -> Outcome:
        return cls(Status.PASSED, message)

    @classmethod
    def failed(cls, message: str) -> Outcome:
        return cls(Status.FAILED, message)

    @classmethod
    def unknown(cls, message: str) -> Outcome:
        return cls(Status.UNKNOWN, message)


class Capability(StrEnum):
    """What a check may need from the stack besides reaching its services. A backend that
    lacks one says why in its `limits` (the external backend), and the guard makes the check
    UNKNOWN there."""

    CONTROL = "control"  # stop and start the stack's services (fault checks)
    LOGS = "logs"  # read the services' logs (Backend.logs)
    FAULTS = "faults"  # network faults through the faults server (with_toxic, proxy_counters)
    CHAOS = "chaos"  # AWS fault rules through the emulator's chaos API (with_chaos)


def limit(backend: Any, capability: Capability) -> str | None:
    """Why `backend` cannot do `capability`, or None when it can (only a backend with limits,
    the external one, has a `limits` mapping)."""
    limits: Mapping[str, str] = getattr(backend, "limits", {})
    return limits.get(capability)


class Params(BaseModel):
    """Base of every kind's parameters: unknown fields are errors (typos are caught early)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# Set, to the lab's id, in the environment of the commands a check runs for the learner (a
# workflow's steps): a `sandbox lab check` among them would wait for the grading that runs it.
GRADING_VARIABLE = "SANDBOX_GRADING"


@dataclass
class CheckContext:
    """Where a check looks: the stack's endpoints, the learner's workspace, the lab folder."""

    workspace: Path
    lab_dir: Path
    endpoints: dict[str, str] = field(default_factory=dict)  # service -> URL, healthy only
    control: Any = None  # the stack backend, for fault checks (stop/start a service)
    nested: Callable[[dict[str, Any]], Outcome] | None = None  # runs a nested check spec

    def endpoint(self, service: str) -> str | None:
        return self.endpoints.get(service)


Evaluate = Callable[[Any, CheckContext], Outcome]
Needs = tuple[str, ...] | Callable[[Any], tuple[str, ...]]  # fixed, or chosen by the params


@dataclass(frozen=True)
class CheckKind:
    """A kind of check. `needs` names the stack services it reads ("aws", "postgres",
    "redis", "app"): the runner's guard (checks/guard.py) makes the check UNKNOWN, never
    FAILED, when one of them is down or stops answering. A kind's `evaluate` may run in
    several threads at once (the runner grades the calm checks concurrently)."""

    name: str
    params: type[Params]
    evaluate: Evaluate
    needs: Needs = ()
    requires: tuple[Capability, ...] = ()
    # True for a kind that disturbs the stack while it runs (stops, pauses or restarts a
    # service, injects a fault): the runner runs such checks one at a time, after the others,
    # which run concurrently.
    disruptive: bool = False
    # True for a disruptive kind whose checks do not disturb each other (each works on its
    # own copy and tells its own effects apart): consecutive ones run at once, as a batch.
    batched: bool = False
    # For the reference (`sandbox lab kinds`, docs/labs.md): one line on what the kind
    # checks, and one example of its parameters, as written in a lab file.
    summary: str = ""
    example: Mapping[str, Any] = field(default_factory=dict)

    def services(self, params: Any) -> tuple[str, ...]:
        return self.needs(params) if callable(self.needs) else self.needs


def target_service(params: Any) -> tuple[str, ...]:
    """`needs` of a kind whose `service` parameter names the service it probes."""
    return (str(params.service),)


class Registry:
    """Check kinds by name. Built-ins are added by `builtin_registry()`; a lab's own module
    adds its kinds through an explicit `register(registry)` call (no import side effects)."""

    def __init__(self) -> None:
        self.kinds: dict[str, CheckKind] = {}

    def add(self, kind: CheckKind) -> None:
        if kind.name in self.kinds:
            raise ValueError(f"check kind {kind.name!r} is already registered")
        self.kinds[kind.name] = kind

    def get(self, name: str) -> CheckKind | None:
        return self.kinds.get(name)

    def names(self) -> list[str]:
        return sorted(self.kinds)
