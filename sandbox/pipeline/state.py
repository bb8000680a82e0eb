"""The state of a run and of one job (one matrix leg) while it runs, and the expression
contexts each place of a workflow may use (GitHub's availability table, so that a
workflow that works here does not fail on GitHub for using a context too early)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sandbox.pipeline.environment import RunInfo
from sandbox.pipeline.expressions import ExpressionError, Scope, Status, render
from sandbox.pipeline.expressions.evaluate import evaluate
from sandbox.pipeline.expressions.syntax import Node
from sandbox.pipeline.expressions.values import to_string, truthy
from sandbox.pipeline.model import Job, Path_, Workflow
from sandbox.pipeline.problems import fail
from sandbox.pipeline.results import JobResult, StepResult


class Reporter(Protocol):
    """Where the live progress goes (report.py has the text one)."""

    def job_started(self, name: str, notes: Sequence[str]) -> None: ...
    def step_started(self, number: int, total: int, name: str) -> None: ...
    def line(self, text: str) -> None: ...
    def step_finished(self, number: int, total: int, result: StepResult) -> None: ...
    def job_finished(self, result: JobResult) -> None: ...


@dataclass
class RunState:
    workflow: Workflow
    info: RunInfo
    base_env: dict[str, str]  # the host's, the sandbox's endpoints, GITHUB_* of the run
    secrets: dict[str, str]
    vars: dict[str, str]
    home: Path  # the sandbox's state dir
    reporter: Reporter
    github: dict[str, Any]
    inputs: dict[str, Any]
    results: dict[str, list[JobResult]] = field(default_factory=dict)
    workflow_env: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False
    first_on_path: tuple[str, ...] = ()  # RunOptions.first_on_path

    def needs(self, job: Job) -> dict[str, Any]:
        from sandbox.pipeline.results import combined

        return {
            need: {"result": str(combined(self.results[need])), "outputs": _outputs(legs)}
            for need, legs in ((n, self.results.get(n, [])) for n in job.needs)
        }


def _outputs(legs: Sequence[JobResult]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for leg in legs:  # a matrix job: the last leg that set an output wins
        merged.update({k: v for k, v in leg.outputs.items() if v != ""})
    return merged


@dataclass
class LegState:
    """One job run (one matrix combination) while its steps run."""

    run: RunState
    job: Job
    name: str
    matrix: dict[str, Any]
    strategy: dict[str, Any]
    needs: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)  # workflow env + job env
    added_env: dict[str, str] = field(default_factory=dict)  # from $GITHUB_ENV
    added_path: list[str] = field(default_factory=list)  # from $GITHUB_PATH, newest first
    steps: dict[str, Any] = field(default_factory=dict)  # the steps context
    failed: bool = False
    summary: list[str] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)  # process groups to stop at the end
    deadline: float = float("inf")

    def env_context(self, step_env: Mapping[str, str] | None = None) -> dict[str, str]:
        """$GITHUB_ENV's values, then the workflow's and job's env:, then the step's."""
        return {**self.added_env, **self.env, **(step_env or {})}

    def contexts(self, env: Mapping[str, str], with_secrets: bool = True) -> dict[str, Any]:
        found = {
            "github": {**self.run.github, "job": self.job.id},
            "needs": self.needs,
            "strategy": self.strategy,
            "matrix": self.matrix,
            "job": {
                "status": "failure" if self.failed else "success",
                "container": {},
                "services": {},
            },
            "runner": runner_context(self.run.info),
            "env": dict(env),
            "vars": self.run.vars,
            "steps": self.steps,
            "inputs": self.run.inputs,
        }
        return found | {"secrets": self.run.secrets} if with_secrets else found

    def status(self) -> Status:
        return Status(success=not self.failed, failure=self.failed, cancelled=self.run.cancelled)


def runner_context(info: RunInfo) -> dict[str, str]:
    variables = info.variables
    return {
        "os": variables["RUNNER_OS"],
        "arch": variables["RUNNER_ARCH"],
        "name": variables["RUNNER_NAME"],
        "temp": variables["RUNNER_TEMP"],
        "tool_cache": variables["RUNNER_TOOL_CACHE"],
        "environment": variables["RUNNER_ENVIRONMENT"],
        "debug": "",
    }


@dataclass(frozen=True)
class Evaluator:
    """Expressions of one place in the workflow evaluated in one scope; an error becomes an
    InvalidWorkflowError naming the file and line of the expression."""

    workflow: Workflow
    scope: Scope

    def value(self, value: Any, path: Path_) -> Any:
        """`value` with every string's expressions evaluated (mappings and lists too)."""
        if isinstance(value, str):
            try:
                return render(value, self.scope) if "${{" in value else value
            except ExpressionError as err:
                raise self._error(path, err) from None
        if isinstance(value, Mapping):
            return {k: self.value(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, (*path, i)) for i, v in enumerate(value)]
        return value

    def text(self, value: Any, path: Path_) -> str:
        return to_string(self.value(value, path))

    def mapping(self, value: Any, path: Path_) -> dict[str, str]:
        """An env: or with: block: every value as a string."""
        evaluated = self.value(value or {}, path)
        if not isinstance(evaluated, Mapping):
            raise self._error(path, ExpressionError("this must give a mapping of names to values"))
        return {str(k): to_string(v) for k, v in evaluated.items()}

    def flag(self, value: Any, path: Path_) -> bool:
        return truthy(self.value(value, path))

    def number(self, value: Any, path: Path_) -> float:
        found = self.value(value, path)
        if isinstance(found, bool) or not isinstance(found, int | float) or found <= 0:
            wrong = ExpressionError(f"{to_string(found)!r} is not a positive number")
            raise self._error(path, wrong)
        return float(found)

    def condition(self, node: Node, path: Path_) -> bool:
        try:
            return truthy(evaluate(node, self.scope))
        except ExpressionError as err:
            raise self._error(path, err) from None

    def _error(self, path: Path_, err: ExpressionError) -> Exception:
        line = self.workflow.source.text_line(path, err.offset)
        return fail(self.workflow.source.file, line, str(err))
