"""Workflows written into a temporary repository and run in-process, as the CLI runs them.

No stack is started: steps are bash processes on this host; the sandbox's endpoints are
put in their environment from Settings alone."""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.pipeline import (
    QuietReporter,
    RunOptions,
    RunResult,
    TextReporter,
    load_workflow,
    run_workflow,
    sandbox_variables,
)
from sandbox.pipeline.results import JobResult, StepResult

collect_ignore = ["fixtures"]  # a project the workflows test, not tests of ours


@dataclass
class Ran:
    """A finished run: its result and everything it printed."""

    result: RunResult
    output: str

    def job(self, name: str) -> JobResult:
        return next(job for job in self.result.jobs if job.name == name)

    def step(self, job: str, name: str) -> StepResult:
        return next(step for step in self.job(job).steps if step.name == name)

    @property
    def conclusions(self) -> dict[str, str]:
        return {job.name: str(job.conclusion) for job in self.result.jobs}


Runner = Callable[..., Ran]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty repository folder with .github/workflows/ (not a git checkout)."""
    (tmp_path / "repo" / ".github" / "workflows").mkdir(parents=True)
    return tmp_path / "repo"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"SANDBOX_HOME": str(tmp_path / "home")})


def write_workflow(repo: Path, text: str, name: str = "ci.yml") -> Path:
    path = repo / ".github" / "workflows" / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def run_yaml(repo: Path, settings: Settings) -> Runner:
    """Write the workflow, load it (schema and all) and run it; returns a Ran."""

    def run(
        text: str,
        *,
        event: str = "push",
        job: str | None = None,
        env: Mapping[str, str] | None = None,
        parallel: bool = False,
        first_on_path: tuple[str, ...] = (),
    ) -> Ran:
        path = write_workflow(repo, text)
        host_env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
        options = RunOptions(
            home=settings.home,
            endpoints=sandbox_variables(settings, "embedded"),
            host_env={**host_env, **(env or {})},
            event=event,
            job=job,
            parallel=parallel,
            first_on_path=first_on_path,
        )
        printed = io.StringIO()
        reporter = QuietReporter() if parallel else TextReporter(printed)
        result = run_workflow(load_workflow(path), options, reporter)
        return Ran(result, printed.getvalue())

    return run
