"""pipeline: the workspace's GitHub Actions workflow, loaded and run by the sandbox's own
pipeline runner (sandbox/pipeline), the way `sandbox pipeline run` runs it.

First the file must load (GitHub's schema, its expressions, its `needs`), and each job named
in `needs` must depend on the jobs listed for it, directly or through others. With `run`,
the workflow then runs on a copy of the workspace, after the lab's planted change (a commit
the learner did not make: files copied from the lab folder, or text replaced), and must end
as `expect` says; `live` says what the run must have done to the alias `live`:

- moved: the run moved `live` to the copy's Lambda (the CodeSha256 of `lambda_dir`, as Lambda
  reports it), or `live` runs that code now;
- kept: the run moved `live` nowhere (a first release's baseline, the code already running,
  is no move), and deployed the copy's code nowhere the triggers run ($LATEST after a plain
  deploy).

What the run did is read from the function's deploy log (aws/deploylog.py), where every
deploy, release and rollback made inside a run is recorded under the run's GITHUB_RUN_ID.
That is why several of these checks can run at once (the kind is `batched`): another run's
release cannot be taken for this one's. So that only this run can have put the copy's code
live (not an earlier grading of the same change), the copy's Lambda gets one more file,
MARK_FILE, unique to the run.

Inside the run, `sandbox deploy` deploys the copy's Lambda (SANDBOX_LAMBDA_DIR), and the
interpreter's folder comes first on PATH, so `sandbox`, `ruff` and `pytest` are this
sandbox's; before it, the warm `sandbox` the runs of one grading share (sandbox/warmcli:
the same command, without a new Python starting and importing boto3 for each call). A run
changes the emulator it deploys to; it is refused on a real AWS account.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from sandbox.aws import deploylog
from sandbox.aws.clients import is_real_aws
from sandbox.aws.deploy import code_sha256_of
from sandbox.aws.deploylog import Entry
from sandbox.aws.names import LIVE_ALIAS, Names
from sandbox.errors import SandboxError, WorkflowError
from sandbox.labs.checks.base import GRADING_VARIABLE, CheckContext, CheckKind, Outcome, Params
from sandbox.labs.checks.lambda_alias import SHOWN, Alias, read_alias
from sandbox.pipeline import (
    QuietReporter,
    RunOptions,
    RunResult,
    find_workflow,
    load_workflow,
    run_workflow,
    sandbox_variables,
)
from sandbox.pipeline.model import Workflow
from sandbox.pipeline.results import Conclusion
from sandbox.warmcli import shared as warm_cli

NOT_COPIED = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ruff_cache", ".sandbox")
LOG_LINES = 3  # of the failing step, in a message
MARK_FILE = ".sandbox-grading-run"


class Edit(Params):
    """One file of the planted change: copied from the lab folder, or edited in place."""

    path: str  # in the workspace copy
    from_lab: str | None = None  # a file in the lab folder, written at `path`
    replace: str | None = None  # text that must be in the file at `path` ...
    with_: str = Field("", alias="with")  # ... and what replaces it (every occurrence)

    @model_validator(mode="after")
    def _one_way(self) -> Edit:
        if (self.from_lab is None) == (self.replace is None):
            raise ValueError("an edit gives either `from_lab` (a file) or `replace` and `with`")
        return self


class PipelineParams(Params):
    workflow: str | None = None  # in the workspace; default: the only one in .github/workflows
    needs: dict[str, list[str]] = Field(default_factory=dict)  # job -> jobs it must depend on
    run: bool = True
    change: str = "the planted change"  # how messages name it
    plant: list[Edit] = Field(default_factory=list)
    event: str = "push"
    expect: Literal["success", "failure"] = "success"
    live: Literal["moved", "kept", "any"] = "any"
    lambda_dir: str = "lambda"  # in the workspace: the code `sandbox deploy` deploys


class CannotPlant(Exception):
    """The planted change does not apply to this workspace: the check cannot be graded."""


def evaluate(params: PipelineParams, ctx: CheckContext) -> Outcome:
    try:
        workflow = _load(params.workflow, ctx.workspace)
    except WorkflowError as err:
        return Outcome.failed(err.render())
    missing = needs_problems(workflow, params.needs)
    if missing:
        return Outcome.failed("; ".join(missing))
    static = f"{workflow.source.file} is valid" + _needs_note(params.needs)
    if not params.run:
        return Outcome.passed(static)
    endpoint = ctx.endpoints["aws"]
    if is_real_aws(endpoint):
        return Outcome.unknown("a pipeline check deploys: it runs against the emulator only")
    if getattr(ctx.control, "settings", None) is None:
        return Outcome.unknown("a pipeline check needs the running stack")
    return _run_on_copy(params, ctx, workflow, endpoint)


def _load(given: str | None, workspace: Path) -> Workflow:
    """The workflow, shown (and found again in a copy) by its path inside the workspace."""
    path = find_workflow(workspace / given if given else None, workspace)
    inside = os.path.relpath(path.absolute(), workspace.absolute())
    if inside.startswith(os.pardir):
        raise WorkflowError(f"{given} is outside the workspace", "give a path inside it")
    return load_workflow(path, shown=inside)


def needs_problems(workflow: Workflow, wanted: dict[str, list[str]]) -> list[str]:
    """What is missing from the jobs' dependencies (transitive, as `needs` is on GitHub)."""
    jobs = {job_id: job.needs for job_id, job in workflow.jobs.items()}
    problems = []
    for job, required in wanted.items():
        if job not in jobs:
            listed = ", ".join(jobs)
            problems.append(f"{workflow.source.file} has no job `{job}` (jobs: {listed})")
            continue
        below = depends_on(jobs, job)
        lacking = [need for need in required if need not in below]
        if lacking:
            direct = ", ".join(jobs[job]) or "nothing"
            add = f"add `needs: [{', '.join(lacking)}]`, so that it runs only once they passed"
            problems.append(
                f"job `{job}` does not need {_listed(lacking)} (it needs {direct}): {add}"
            )
    return problems


def depends_on(jobs: dict[str, tuple[str, ...]], job: str) -> set[str]:
    """Every job that `job` needs, directly or through the jobs it needs."""
    found: set[str] = set()
    todo = list(jobs.get(job, ()))
    while todo:
        need = todo.pop()
        if need not in found:
            found.add(need)
            todo += jobs.get(need, ())
    return found


def _listed(jobs: list[str]) -> str:
    return ", ".join(f"`{job}`" for job in jobs)


def _needs_note(wanted: dict[str, list[str]]) -> str:
    notes = [f"{job} needs {', '.join(needs)}" for job, needs in wanted.items()]
    return f"; {'; '.join(notes)}" if notes else ""


# -- the run -------------------------------------------------------------------------------


def _run_on_copy(
    params: PipelineParams, ctx: CheckContext, workflow: Workflow, endpoint: str
) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="sandbox-pipeline-check-") as tmp:
        copy = Path(tmp) / ctx.workspace.name
        shutil.copytree(ctx.workspace, copy, ignore=NOT_COPIED)
        try:
            plant(params.plant, copy, ctx.lab_dir)
        except CannotPlant as err:
            return Outcome.unknown(f"{params.change} cannot be planted: {err}")
        if params.live != "any":
            _mark(copy / params.lambda_dir)
        copied = copy / workflow.source.file  # its path inside the workspace (_load)
        try:
            copied_workflow = load_workflow(copied, workflow.source.file)
            with warm_cli() as warm:
                options = _options(params, ctx, copy, warm)
                result = run_workflow(copied_workflow, options, QuietReporter())
        except WorkflowError as err:
            return Outcome.failed(f"with {params.change}: {err.render()}")
        code = _code_of(copy / params.lambda_dir) if params.live != "any" else ""
    function = Names().function
    did = deploylog.by_run(endpoint, function, result.run_id)
    return judge(params, result, Deploys(did, read_alias(endpoint, function), code))


def plant(edits: list[Edit], copy: Path, lab_dir: Path) -> None:
    for edit in edits:
        target = (copy / edit.path).resolve()
        if not target.is_relative_to(copy.resolve()):
            raise CannotPlant(f"{edit.path} is outside the workspace")
        if edit.from_lab is not None:
            _copy_from_lab(lab_dir / edit.from_lab, target)
        else:
            _replace(target, edit)


def _copy_from_lab(source: Path, target: Path) -> None:
    if not source.is_file():
        raise CannotPlant(f"the lab has no file {source}")
    target.unlink(missing_ok=True)  # a symlink into the project must not be written through
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _replace(target: Path, edit: Edit) -> None:
    assert edit.replace is not None
    text = target.read_text(encoding="utf-8") if target.is_file() else None
    if text is None or edit.replace not in text:
        raise CannotPlant(
            f"{edit.path} does not contain {edit.replace.strip()[:80]!r} (the lab changes that "
            "text; restore the file from the lab's starter to be graded)"
        )
    target.write_text(text.replace(edit.replace, edit.with_), encoding="utf-8")


def _mark(lambda_dir: Path) -> None:
    if lambda_dir.is_dir():
        (lambda_dir / MARK_FILE).write_text(f"{uuid.uuid4()}\n", encoding="utf-8")


def _options(
    params: PipelineParams, ctx: CheckContext, copy: Path, warm: Path | None
) -> RunOptions:
    settings = ctx.control.settings
    backend = str(getattr(ctx.control, "name", settings.backend))
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    host_env = {**os.environ, "PATH": path, "SANDBOX_LAMBDA_DIR": str(copy / params.lambda_dir),
                GRADING_VARIABLE: ctx.lab_dir.name}  # fmt: skip
    return RunOptions(
        settings.home,
        sandbox_variables(settings, backend),
        host_env,
        params.event,
        workspace=copy,
        parallel=True,  # as on GitHub: test and static at once, once lint has passed
        first_on_path=(str(warm),) if warm else (),  # the warm `sandbox` (sandbox/warmcli)
    )


def _code_of(folder: Path) -> str:
    try:
        return code_sha256_of(folder)
    except SandboxError:
        return ""  # no Lambda in the copy: `live` cannot be running it


# -- the verdict ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Deploys:
    """What the run did to the function (its deploy log entries), where `live` is after it,
    and the copy's code."""

    did: list[Entry]
    live: Alias | None
    code: str

    @property
    def moved_live(self) -> list[Entry]:
        return [entry for entry in self.did if entry.live_to is not None]

    @property
    def released_ours(self) -> bool:
        ours = any(entry.code == self.code for entry in self.moved_live)
        return ours or (self.live is not None and self.live.code_sha256 == self.code)

    @property
    def deployed_ours_to_latest(self) -> bool:
        return any(e.action == "deploy" and e.code == self.code for e in self.did)


def judge(params: PipelineParams, result: RunResult, deploys: Deploys) -> Outcome:
    """PASSED when the run ended as expected and did to `live` what it should; the message
    says how the run ended and what it deployed, either way."""
    problems = []
    if str(result.conclusion) != params.expect:
        problems.append(f"it should have {'failed' if params.expect == 'failure' else 'succeeded'}")
    problems += _live_problems(params.live, deploys)
    told = f"with {params.change}, the run {_ended(result)}; {_what_it_deployed(deploys)}"
    if problems:
        return Outcome.failed(f"{told}: {' and '.join(problems)}")
    return Outcome.passed(told)


def _ended(result: RunResult) -> str:
    if result.conclusion is Conclusion.SUCCESS:
        return f"succeeded ({len(result.jobs)} job{'s' if len(result.jobs) != 1 else ''})"
    failed = next((job for job in result.jobs if job.conclusion is Conclusion.FAILURE), None)
    if failed is None:
        return str(result.conclusion)
    step = next((s for s in failed.steps if s.conclusion is Conclusion.FAILURE), None)
    if step is None:
        return f"failed in job `{failed.id}`: {failed.message}"
    tail = " | ".join(line.strip() for line in step.log_tail[-LOG_LINES:] if line.strip())
    return f"failed in job `{failed.id}`, step `{step.name}`" + (f" ({tail})" if tail else "")


def _live_problems(live: str, deploys: Deploys) -> list[str]:
    if live == "moved" and not deploys.released_ours:
        return [f"`live` should have moved to the changed code (CodeSha256 {deploys.code[:SHOWN]})"]
    if live != "kept":
        return []
    problems = []
    if deploys.moved_live or deploys.released_ours:
        problems.append(f"`{LIVE_ALIAS}` should not have moved")
    if deploys.deployed_ours_to_latest:
        problems.append("the changed code should not have reached the triggers")
    return problems


def _what_it_deployed(deploys: Deploys) -> str:
    told = [_entry_story(entry, deploys.code) for entry in deploys.did]
    if not told:
        return f"it deployed nothing; {_live_now(deploys.live)}"
    return "; ".join(told)


def _entry_story(entry: Entry, ours: str) -> str:
    code = "the changed code" if entry.code == ours else f"code {entry.code[:SHOWN]}"
    if entry.action == "deploy":
        return f"it deployed {code} to $LATEST, which the triggers run (a plain deploy)"
    if entry.action == "rollback":
        return f"it rolled `{LIVE_ALIAS}` back from version {entry.live_from} to {entry.live_to}"
    version = f"version {entry.version} (code {entry.code[:SHOWN]})"
    if entry.live_to is None:
        stayed = f"; `{LIVE_ALIAS}` stayed on version {entry.live_from}" if entry.live_from else ""
        return f"it published {version} and did not release it{stayed}"
    was = f"from version {entry.live_from} " if entry.live_from else ""
    return f"`{LIVE_ALIAS}` moved {was}to {version}"


def _live_now(live: Alias | None) -> str:
    return f"`{live.name}` is on {live.described}" if live else f"there is no alias `{LIVE_ALIAS}`"


EXAMPLE: dict[str, Any] = {
    "needs": {"deploy": ["test"]},
    "change": "a commit whose unit test fails",
    "plant": [{"path": "lambda/api.py", "replace": "MAX_LIMIT = 100", "with": "MAX_LIMIT = 0"}],
    "expect": "failure",
    "live": "kept",
}
KIND = CheckKind(
    "pipeline",
    PipelineParams,
    evaluate,
    needs=lambda params: ("aws",) if params.run else (),
    example=EXAMPLE,
    summary="The workspace's GitHub Actions workflow is valid and its jobs `needs` what they "
    "must; with `run` (needs aws), it runs on a copy with a planted change and ends as "
    "expected, `live` moved or kept.",
    disruptive=True,  # deploys and moves `live`: not while other checks probe the stack
    batched=True,  # but with each other: each run is on its own copy, told apart in the log
)
