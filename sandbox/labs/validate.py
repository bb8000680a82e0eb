"""Instructor mode: grade a lab against its solution (all must pass) and its starter (the
checks marked must_fail_on_starter must fail), each in an isolated stack on its own ports.
The two stacks run side by side: most of a variant's time is its stack starting and the
Lambda deploying, which wait on disks and sockets as much as on the CPU."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.config import Settings
from sandbox.labs import services as lab_services
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import Registry, Status
from sandbox.labs.model import Lab
from sandbox.labs.runner import LabReport, run_lab
from sandbox.labs.session import context, prepare
from sandbox.stack import labservices
from sandbox.stack.embedded import EmbeddedBackend

VARIANTS = ("solution", "starter")


@dataclass(frozen=True)
class CheckVerdict:
    """One check on both sides: it tells them apart when it fails on the starter and passes
    on the solution."""

    id: str
    starter: Status | None  # None: the check did not run on that side
    solution: Status | None
    must_fail_on_starter: bool

    @property
    def tells_apart(self) -> bool:
        return self.starter is Status.FAILED and self.solution is Status.PASSED

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "starter": self.starter,
            "solution": self.solution,
            "must_fail_on_starter": self.must_fail_on_starter,
            "tells_apart": self.tells_apart,
        }


@dataclass
class Validation:
    lab_id: str
    problems: list[str] = field(default_factory=list)
    reports: dict[str, LabReport] = field(default_factory=dict)
    checks: list[CheckVerdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def indistinct(self) -> list[str]:
        """The checks that cannot tell the starter from the solution."""
        return [c.id for c in self.checks if not c.tells_apart]

    def to_dict(self) -> dict[str, object]:
        return {
            "lab": self.lab_id,
            "ok": self.ok,
            "problems": self.problems,
            "checks": [c.to_dict() for c in self.checks],
            "indistinct": self.indistinct,
        }


def validate(
    lab: Lab, registry: Registry, progress: Callable[[str], None] = lambda _m: None
) -> Validation:
    result = Validation(lab.id)
    ports = lab_services.free_port_sets(lab, len(VARIANTS))
    progress(f"{lab.id}: grading {' and '.join(f'{v}/' for v in VARIANTS)}, each in its own stack")
    with (
        tempfile.TemporaryDirectory(prefix=f"validate-{lab.id}-") as tmp,
        ThreadPoolExecutor(len(VARIANTS), thread_name_prefix="validate") as pool,
    ):
        graded = {
            variant: pool.submit(grade_variant, lab, registry, variant, Path(tmp) / variant, env)
            for variant, env in zip(VARIANTS, ports, strict=True)
        }
        result.reports = {variant: future.result() for variant, future in graded.items()}
    result.problems = judge(lab, result.reports["solution"], result.reports["starter"])
    result.checks = verdicts(lab, result.reports["solution"], result.reports["starter"])
    return result


def grade_variant(
    lab: Lab, registry: Registry, variant: str, tmp: Path, ports: dict[str, str]
) -> LabReport:
    workspace = tmp / "workspace" / lab.id
    ws.copy_tree(lab.folder / variant, workspace, force=True)
    env = _isolated_env(tmp / "home", ws.stack_dirs(lab, workspace), ports)
    settings = Settings.from_env(env)
    backend = EmbeddedBackend(settings)
    try:
        if lab.lab_services:  # written before `up`: the supervisor starts them with the stack
            specs = lab_services.resolve(lab, workspace, settings, env)
            labservices.replace_lab(settings.home, lab.id, specs)
        if lab.services or lab.lab_services or lab.fixture:
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


def verdicts(lab: Lab, solution: LabReport, starter: LabReport) -> list[CheckVerdict]:
    on_solution = {r.id: r.status for r in solution.results}
    on_starter = {r.id: r.status for r in starter.results}
    return [
        CheckVerdict(c.id, on_starter.get(c.id), on_solution.get(c.id), c.must_fail_on_starter)
        for _, c in lab.checks()
    ]


def _isolated_env(home: Path, dirs: dict[str, Path], ports: dict[str, str]) -> dict[str, str]:
    env = {"SANDBOX_HOME": str(home), **ports}
    env.update({f"SANDBOX_{key.upper()}": str(value) for key, value in dirs.items()})
    return env


def describe(outcome: Validation) -> list[str]:
    """The verdict, each check on both sides, the problems, and the checks that cannot
    tell the starter from the solution (the lines `sandbox lab validate` prints)."""
    lines = [f"{outcome.lab_id}: {'ok' if outcome.ok else 'PROBLEMS'}"]
    width = max((len(c.id) for c in outcome.checks), default=5)
    lines.append(f"  {'check':<{width}}  {'starter':<8} {'solution':<8}")
    for check in outcome.checks:
        verdict = "tells them apart" if check.tells_apart else "cannot tell them apart"
        lines.append(
            f"  {check.id:<{width}}  {check.starter or '-':<8} {check.solution or '-':<8} {verdict}"
        )
    lines += [f"  {problem}" for problem in outcome.problems]
    if outcome.indistinct:
        names = ", ".join(outcome.indistinct)
        lines.append(f"  cannot tell the starter from the solution: {names}")
    return lines
