"""The lab file's shape (`labs/<id>/lab.yaml`), validated by pydantic."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

SLUG = r"^[a-z0-9][a-z0-9-]*$"
Service = Literal["aws", "postgres", "redis", "app"]


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
    eventually: Eventually | None = None
    hints: list[Hint] = Field(default_factory=list)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


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
    python_checks: str | None = None  # a module in the lab folder with register(registry)
    fixture: str | None = None  # a snapshot in the lab folder, loaded at `lab start`
    steps: list[Step] = Field(min_length=1)
    _folder: Path = PrivateAttr(default=Path("."))

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
