"""What a run did: each step's and job's outcome and conclusion, durations and outputs.

As on GitHub, a step's `outcome` is what happened, its `conclusion` what counts after
continue-on-error (a failed step with continue-on-error: outcome failure, conclusion success).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Conclusion(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


LOG_TAIL = 20  # lines of a step's output kept in the result (the live output has them all)


@dataclass
class StepResult:
    name: str
    id: str | None
    outcome: Conclusion
    conclusion: Conclusion
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    message: str = ""  # why it failed, was skipped, or what it did locally
    not_run_locally: bool = False  # an action the sandbox has no stand-in for
    log_tail: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.id,
            "outcome": str(self.outcome),
            "conclusion": str(self.conclusion),
            "duration_s": round(self.seconds, 3),
            "outputs": self.outputs,
            "message": self.message,
            "not_run_locally": self.not_run_locally,
            "log_tail": self.log_tail,
        }


@dataclass
class JobResult:
    id: str
    name: str
    conclusion: Conclusion
    outcome: Conclusion | None = None  # before the job's continue-on-error; None: same
    matrix: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    message: str = ""
    notes: list[str] = field(default_factory=list)
    summary: str = ""  # what its steps wrote to $GITHUB_STEP_SUMMARY

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "outcome": str(self.outcome or self.conclusion),
            "conclusion": str(self.conclusion),
            "matrix": self.matrix,
            "duration_s": round(self.seconds, 3),
            "outputs": self.outputs,
            "message": self.message,
            "notes": self.notes,
            "summary": self.summary,
            "steps": [step.to_dict() for step in self.steps],
        }


def combined(legs: Sequence[JobResult]) -> Conclusion:
    """One result for a job that ran as several matrix legs (what `needs.<id>.result` says)."""
    found = {leg.conclusion for leg in legs}
    for worst in (Conclusion.FAILURE, Conclusion.CANCELLED, Conclusion.SUCCESS):
        if worst in found:
            return worst
    return Conclusion.SKIPPED


@dataclass
class RunResult:
    workflow: str
    file: str
    event: str
    workspace: str
    conclusion: Conclusion = Conclusion.SUCCESS
    seconds: float = 0.0
    jobs: list[JobResult] = field(default_factory=list)
    run_id: str = ""  # GITHUB_RUN_ID in its steps

    @property
    def ok(self) -> bool:
        return self.conclusion is Conclusion.SUCCESS

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "file": self.file,
            "event": self.event,
            "workspace": self.workspace,
            "run_id": self.run_id,
            "conclusion": str(self.conclusion),
            "duration_s": round(self.seconds, 3),
            "jobs": [job.to_dict() for job in self.jobs],
        }
