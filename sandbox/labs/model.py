"""The lab file's shape (`labs/<id>/lab.yaml`), validated by pydantic."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

SLUG = r"^[a-z0-9][a-z0-9-]*$"
Service = Literal["aws", "postgres", "redis", "faults", "app"]
STACK_SERVICES = ("postgres", "redis", "aws", "faults", "app")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Eventually(Strict):
    """Retry the check until it passes or `timeout` seconds have passed."""

    timeout: float = Field(gt=0, le=600)
    interval: float = Field(0.5, gt=0, le=60)


class Hint(Strict):
    text: str = Field(min_length=1)
    cost: int = Field(0, ge=0)  # points taken off this check's score when revealed


class CheckSpec(BaseModel):
    """One check; every field not listed here is a parameter of its kind."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(pattern=SLUG)
    kind: str
    title: str = Field(min_length=1)
    points: int = Field(0, ge=0)
    must_fail_on_starter: bool = False
    # Run one at a time, in the lab's order, after the concurrent checks, like a disruptive
    # kind: for a check that needs what the check before it left (a breaker it opened).
    alone: bool = False
    eventually: Eventually | None = None
    hints: list[Hint] = Field(default_factory=list)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class LabService(Strict):
    """A service the lab adds to the stack while it runs (see sandbox/stack/labservices.py).

    `command` and `env` may use {python} (the sandbox's interpreter), {port}, and
    {NAME_port} / {NAME_proxy_port} for any service (dashes in NAME become underscores).
    """

    name: str = Field(pattern=SLUG, max_length=40)
    title: str = ""
    root: Literal["lab", "workspace"] = "workspace"  # lab: the lab's own code, not the learner's
    dir: str = Field(min_length=1)  # relative to root
    command: list[str] = Field(min_length=1)
    port: int = Field(ge=1024, le=65535)  # the default; SANDBOX_<NAME>_PORT overrides it
    ready: str = Field("/health", pattern=r"^/")
    proxy: int | None = Field(None, ge=1024, le=65535)  # a fault proxy's port in front of it
    env: dict[str, str] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)
    start_timeout: float = Field(30.0, gt=0, le=300)

    @model_validator(mode="after")
    def _not_a_stack_service(self) -> LabService:
        if self.name in STACK_SERVICES:
            raise ValueError(f"{self.name!r} is a stack service: give the lab service another name")
        return self


class Step(Strict):
    id: str = Field(pattern=SLUG)
    title: str = Field(min_length=1)
    instructions: str  # a Markdown file, relative to the lab folder
    checks: list[CheckSpec] = Field(min_length=1)


class Lab(Strict):
    id: str = Field(pattern=r"^\d\d-[a-z0-9-]+$")
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    points: int | None = Field(None, ge=0)  # when given, must equal the checks' sum
    services: list[Service] = Field(default_factory=list)
    workspace: dict[Literal["app", "lambda"], str] = Field(default_factory=dict)
    # Grading first deploys the workspace's Lambda (triggers on $LATEST), so that the checks
    # see the learner's current code. Where the learner's own pipeline is what deploys (lab
    # 05), only a missing function is: grading must not put their code live past it.
    deploy_before_checks: Literal["always", "if_missing"] = "always"
    python_checks: str | None = None  # a module in the lab folder with register(registry)
    lab_services: list[LabService] = Field(default_factory=list)
    fixture: str | None = None  # a snapshot in the lab folder, loaded at `lab start`
    steps: list[Step] = Field(min_length=1)
    _folder: Path = PrivateAttr(default=Path("."))

    @model_validator(mode="after")
    def _lab_services_consistent(self) -> Lab:
        names = [s.name for s in self.lab_services]
        if len(set(names)) != len(names):
            raise ValueError("two lab services have the same name")
        known = {*STACK_SERVICES, *names}
        for service in self.lab_services:
            unknown = [d for d in service.depends_on if d not in known]
            if unknown:
                raise ValueError(
                    f"lab service {service.name!r} depends on {', '.join(unknown)}: "
                    f"not a service (known: {', '.join(sorted(known))})"
                )
        return self

    @property
    def folder(self) -> Path:
        return self._folder

    def checks(self, step: str | None = None) -> list[tuple[Step, CheckSpec]]:
        return [(s, c) for s in self.steps if step in (None, s.id) for c in s.checks]

    @property
    def total_points(self) -> int:
        return sum(c.points for _, c in self.checks())

    def find_check(self, check_id: str) -> CheckSpec | None:
        return next((c for _, c in self.checks() if c.id == check_id), None)
