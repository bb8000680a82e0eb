"""A whole run: the event checked, the run's environment made, the jobs run in `needs`
order, and the result."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.errors import WorkflowError
from sandbox.pipeline.environment import (
    NO_SHA,
    SECRET_PREFIX,
    VAR_PREFIX,
    Repository,
    RunInfo,
    new_run_id,
    prefixed,
    repository,
)
from sandbox.pipeline.expressions import Scope
from sandbox.pipeline.graph import run_order
from sandbox.pipeline.jobs import run_job
from sandbox.pipeline.loading import default_workspace
from sandbox.pipeline.model import Workflow
from sandbox.pipeline.results import Conclusion, JobResult, RunResult
from sandbox.pipeline.state import Evaluator, Reporter, RunState


@dataclass(frozen=True)
class RunOptions:
    """How to run: the event, one job (and what it needs) or all, where."""

    home: Path  # the sandbox's state dir: artifacts go in home/artifacts
    endpoints: Mapping[str, str]  # the sandbox's variables (environment.sandbox_variables)
    host_env: Mapping[str, str]  # the environment steps start from (and SANDBOX_SECRET_*)
    event: str = "push"
    job: str | None = None
    workspace: Path | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    # Run the jobs whose `needs` are met at once, as GitHub does, instead of one at a time in
    # `needs` order. For a reporter that prints nothing (a grader): a terminal's live output
    # of two jobs at once would interleave, and Ctrl-C reaches only the main thread.
    parallel: bool = False
    # Folders put first on every step's PATH, even before what setup-python or $GITHUB_PATH
    # add there: a grader's warm `sandbox` (sandbox/warmcli), which must be the one steps find.
    first_on_path: tuple[str, ...] = ()


def run_workflow(workflow: Workflow, options: RunOptions, reporter: Reporter) -> RunResult:
    _check_event(workflow, options.event)
    order = _order(workflow, options.job)
    workspace = (options.workspace or default_workspace(workflow.file)).resolve()
    temp = Path(tempfile.mkdtemp(prefix="sandbox-pipeline-"))
    started = time.monotonic()
    result = RunResult(workflow.name, workflow.source.file, options.event, str(workspace))
    try:
        run = _start(workflow, options, reporter, workspace, temp)
        result.run_id = run.info.run_id
        if options.parallel:
            _run_at_once(run, order)
        else:
            for job_id in order:
                run.results[job_id] = _job(run, job_id)
        result.jobs = [leg for job_id in order for leg in run.results[job_id]]
        result.conclusion = _conclusion(result.jobs, run.cancelled)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


def _run_at_once(run: RunState, order: list[str]) -> None:
    """Each job as soon as every job it needs has finished, several at a time."""
    waiting = list(order)
    with ThreadPoolExecutor(max_workers=len(order), thread_name_prefix="job") as pool:
        running: dict[Future[list[JobResult]], str] = {}
        while waiting or running:
            for job_id in [j for j in waiting if _needs_met(run, j)]:
                waiting.remove(job_id)
                running[pool.submit(_job, run, job_id)] = job_id
            assert running, "a job waits for one that never runs (run_order prevents it)"
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                run.results[running.pop(future)] = future.result()


def _needs_met(run: RunState, job_id: str) -> bool:
    return all(need in run.results for need in run.workflow.jobs[job_id].needs)


def _job(run: RunState, job_id: str) -> list[JobResult]:
    try:
        return run_job(run, run.workflow.jobs[job_id])
    except KeyboardInterrupt:  # between steps (a step's own Ctrl-C is handled in the job)
        run.cancelled = True
        return [JobResult(job_id, job_id, Conclusion.CANCELLED, message="interrupted (Ctrl-C)")]


def _check_event(workflow: Workflow, event: str) -> None:
    if event not in workflow.events:
        raise WorkflowError(
            f"{workflow.source.file} does not run on `{event}` events "
            f"(on: {', '.join(workflow.events)})",
            f"pass --event {workflow.events[0]} to run it as that event, or add `{event}` to on:",
        )


def _order(workflow: Workflow, job: str | None) -> list[str]:
    if job is not None and job not in workflow.jobs:
        raise WorkflowError(
            f"{workflow.source.file} has no job `{job}`", f"use one of {', '.join(workflow.jobs)}"
        )
    return run_order({job_id: j.needs for job_id, j in workflow.jobs.items()}, job)


def _start(
    workflow: Workflow, options: RunOptions, reporter: Reporter, workspace: Path, temp: Path
) -> RunState:
    info = RunInfo(
        workflow.name, options.event, workspace, temp, repository(workspace), new_run_id()
    )
    inputs = {**_input_defaults(workflow, options.event), **options.inputs}
    payload = event_payload(options.event, info.repo, inputs)
    (temp / "event.json").write_text(json.dumps(payload), encoding="utf-8")
    run = RunState(
        workflow=workflow,
        info=info,
        base_env={**options.host_env, **options.endpoints, **info.variables},
        secrets=prefixed(options.host_env, SECRET_PREFIX),
        vars=prefixed(options.host_env, VAR_PREFIX),
        home=options.home,
        reporter=reporter,
        github=github_context(info, payload),
        inputs=inputs,
        first_on_path=options.first_on_path,
    )
    run.workflow_env = _workflow_env(run)
    return run


def _input_defaults(workflow: Workflow, event: str) -> dict[str, Any]:
    declared = workflow.event_inputs(event)
    return {
        name: spec.get("default", "")
        for name, spec in declared.items()
        if isinstance(spec, Mapping)
    }


def _workflow_env(run: RunState) -> dict[str, str]:
    contexts = {
        "github": run.github,
        "secrets": run.secrets,
        "vars": run.vars,
        "inputs": run.inputs,
    }
    evaluator = Evaluator(run.workflow, Scope(contexts, None, run.info.workspace))
    return evaluator.mapping(run.workflow.data.get("env"), ("env",))


def github_context(info: RunInfo, payload: dict[str, Any]) -> dict[str, Any]:
    variables = info.variables
    keys = (
        "workflow",
        "event_name",
        "workspace",
        "sha",
        "ref",
        "ref_name",
        "ref_type",
        "repository",
        "repository_owner",
        "run_id",
        "run_number",
        "run_attempt",
        "actor",
        "triggering_actor",
        "server_url",
        "head_ref",
        "base_ref",
        "event_path",
    )
    context: dict[str, Any] = {key: variables[f"GITHUB_{key.upper()}"] for key in keys}
    return context | {
        "event": payload,
        "token": "",
        "action": "",
        "job": "",
        "retention_days": "90",
    }


def event_payload(event: str, repo: Repository, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A small stand-in for the webhook payload GitHub would send (github.event)."""
    owner, _, name = repo.name.partition("/")
    payload: dict[str, Any] = {
        "repository": {
            "name": name,
            "full_name": repo.name,
            "owner": {"login": owner},
            "default_branch": repo.ref_name,
        },
    }
    if event == "push":
        commit = {"id": repo.sha, "message": repo.message}
        payload |= {
            "ref": repo.ref,
            "before": NO_SHA,
            "after": repo.sha,
            "head_commit": commit,
            "commits": [commit],
        }
    if event in ("workflow_dispatch", "workflow_call"):
        payload |= {"ref": repo.ref, "inputs": dict(inputs)}
    if event == "pull_request":
        head = {"ref": repo.ref_name, "sha": repo.sha}
        payload |= {
            "number": 1,
            "pull_request": {"number": 1, "head": head, "base": {"ref": repo.ref_name}},
        }
    return payload


def _conclusion(jobs: list[JobResult], cancelled: bool) -> Conclusion:
    if any(job.conclusion is Conclusion.FAILURE for job in jobs):
        return Conclusion.FAILURE
    if cancelled or any(job.conclusion is Conclusion.CANCELLED for job in jobs):
        return Conclusion.CANCELLED
    return Conclusion.SUCCESS
