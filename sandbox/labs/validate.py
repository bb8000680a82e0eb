"""Instructor mode: grade a lab against its solution (all must pass) and its starter (the
checks marked must_fail_on_starter must fail), each in an isolated stack on its own ports."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.config import Settings
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import Registry, Status
from sandbox.labs.model import Lab
from sandbox.labs.runner import LabReport, run_lab
from sandbox.labs.session import context, prepare
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.specs import free_port_variables


@dataclass
class Validation:
    lab_id: str
    problems: list[str] = field(default_factory=list)
    reports: dict[str, LabReport] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(
    lab: Lab, registry: Registry, progress: Callable[[str], None] = lambda _m: None
) -> Validation:
    result = Validation(lab.id)
    with tempfile.TemporaryDirectory(prefix=f"validate-{lab.id}-") as tmp:
        for variant in ("solution", "starter"):
            progress(f"{lab.id}: grading {variant}/ in an isolated stack")
            report = grade_variant(lab, registry, variant, Path(tmp) / variant)
            result.reports[variant] = report
    result.problems = judge(lab, result.reports["solution"], result.reports["starter"])
    return result


def grade_variant(lab: Lab, registry: Registry, variant: str, tmp: Path) -> LabReport:
    workspace = tmp / "workspace" / lab.id
    ws.copy_tree(lab.folder / variant, workspace, force=True)
    settings = Settings.from_env(_isolated_env(tmp / "home", ws.stack_dirs(lab, workspace)))
    backend = EmbeddedBackend(settings)
    try:
        if lab.services or lab.fixture:
            backend.start()
        if lab.fixture:
            from sandbox.snapshots.steps import load_fixture  # snapshots build on the labs

            load_fixture(lab, settings, backend, safety=False)
        ctx = context(lab, backend, workspace, settings)
        prepare(lab, backend, settings, ctx)
        return run_lab(lab, registry, ctx)
    finally:
        backend.reset()


def judge(lab: Lab, solution: LabReport, starter: LabReport) -> list[str]:
    problems = [f"false fail: {r.id} does not pass on the solution ({r.status}): {r.message}"
                for r in solution.results if r.status is not Status.PASSED]  # fmt: skip
    must_fail = {c.id for _, c in lab.checks() if c.must_fail_on_starter}
    problems += [f"false pass: {r.id} should fail on the starter but {r.status}: {r.message}"
                 for r in starter.results
                 if r.id in must_fail and r.status is not Status.FAILED]  # fmt: skip
    return problems


def _isolated_env(home: Path, dirs: dict[str, Path]) -> dict[str, str]:
    env = {"SANDBOX_HOME": str(home), **free_port_variables()}
    env.update({f"SANDBOX_{key.upper()}": str(value) for key, value in dirs.items()})
    return env
