"""One job: its `if:` against the jobs it needs, its matrix, then each combination (leg) in
turn: env, timeout, steps, outputs, and the processes its steps left running stopped."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sandbox.errors import WorkflowError
from sandbox.pipeline.conditions import condition
from sandbox.pipeline.expressions import Scope, Status
from sandbox.pipeline.graph import ancestors
from sandbox.pipeline.matrix import MatrixError, expand, leg_name
from sandbox.pipeline.model import Job, Step
from sandbox.pipeline.problems import fail
from sandbox.pipeline.process import group_alive, stop_group
from sandbox.pipeline.results import Conclusion, JobResult, StepResult, combined
from sandbox.pipeline.state import Evaluator, LegState, RunState
from sandbox.pipeline.steps import run_step

DEFAULT_TIMEOUT_MINUTES = 360  # GitHub's


def run_job(run: RunState, job: Job) -> list[JobResult]:
    """The job's results: one per matrix combination, or one saying why it did not run."""
    needs = run.needs(job)
    scope = Scope(_job_contexts(run, needs), _status(run, job), run.info.workspace)
    evaluator = Evaluator(run.workflow, scope)
    try:
        if run.cancelled:
            return [_not_run(run, job, Conclusion.CANCELLED, "the run was cancelled")]
        if not evaluator.condition(condition(job.data.get("if")), (*job.path, "if")):
            return [_not_run(run, job, Conclusion.SKIPPED, _skip_reason(needs))]
        if job.calls_workflow:
            called = f"not run locally: reusable workflow {job.data['uses']}"
            return [_not_run(run, job, Conclusion.FAILURE, called)]
        combos = _combinations(evaluator, job)
    except WorkflowError as err:
        return [_not_run(run, job, Conclusion.FAILURE, err.message)]
    return _run_legs(run, job, needs, combos)


def _job_contexts(run: RunState, needs: Mapping[str, Any]) -> dict[str, Any]:
    return {"github": run.github, "needs": needs, "vars": run.vars, "inputs": run.inputs}


def _status(run: RunState, job: Job) -> Status:
    """success(): every job it depends on succeeded; failure(): one of them failed."""
    needs = {job_id: j.needs for job_id, j in run.workflow.jobs.items()}
    results = [combined(run.results.get(a, [])) for a in ancestors(needs, job.id)]
    return Status(
        success=all(r is Conclusion.SUCCESS for r in results),
        failure=any(r is Conclusion.FAILURE for r in results),
        cancelled=run.cancelled,
    )


def _skip_reason(needs: Mapping[str, Any]) -> str:
    unmet = [
        f"{name} ({need['result']})"
        for name, need in needs.items()
        if need["result"] != str(Conclusion.SUCCESS)
    ]
    if unmet:
        return f"a job it needs did not succeed: {', '.join(unmet)}"
    return "its if: condition is false"


def _combinations(evaluator: Evaluator, job: Job) -> list[dict[str, Any]]:
    path = (*job.path, "strategy", "matrix")
    matrix = evaluator.value((job.data.get("strategy") or {}).get("matrix"), path)
    try:
        return expand(matrix)
    except MatrixError as err:
        raise fail(
            evaluator.workflow.source.file, evaluator.workflow.source.line(path), str(err)
        ) from None


def _run_legs(
    run: RunState, job: Job, needs: dict[str, Any], combos: list[dict[str, Any]]
) -> list[JobResult]:
    fail_fast = (job.data.get("strategy") or {}).get("fail-fast", True) is not False
    results: list[JobResult] = []
    for index, combo in enumerate(combos):
        strategy = {
            "fail-fast": fail_fast,
            "job-index": index,
            "job-total": len(combos),
            "max-parallel": 1,
        }
        leg = LegState(run, job, job.id, combo, strategy, needs)
        stop = run.cancelled or (
            fail_fast and any(r.outcome is Conclusion.FAILURE for r in results)
        )
        results.append(_cancelled_leg(leg) if stop else _run_leg(leg))
    return results


def _run_leg(leg: LegState) -> JobResult:
    started = time.monotonic()
    job, run = leg.job, leg.run
    evaluator = Evaluator(run.workflow, Scope(_leg_contexts(leg), None, run.info.workspace))
    result = JobResult(job.id, job.id, Conclusion.SUCCESS, matrix=leg.matrix)
    try:
        leg.name = result.name = _leg_name(leg, evaluator)
        result.notes = _notes(job, evaluator)
        run.reporter.job_started(leg.name, result.notes)
        keep_going = _prepare(leg, evaluator)
    except WorkflowError as err:
        run.reporter.job_started(leg.name, result.notes)
        return _finish(leg, result, started, False, err.message)
    _run_steps(leg, result)
    message = _outputs(leg, result)
    return _finish(leg, result, started, keep_going, message)


def _leg_contexts(leg: LegState) -> dict[str, Any]:
    return {**_job_contexts(leg.run, leg.needs), "strategy": leg.strategy, "matrix": leg.matrix}


def _leg_name(leg: LegState, evaluator: Evaluator) -> str:
    raw = leg.job.data.get("name")
    if raw is None:
        return leg_name(leg.job.id, leg.matrix)
    name = evaluator.text(raw, (*leg.job.path, "name"))
    return name if "${{" in str(raw) else leg_name(name, leg.matrix)


def _prepare(leg: LegState, evaluator: Evaluator) -> bool:
    """The job's env and timeout; whether it has continue-on-error."""
    job = leg.job
    with_secrets = Evaluator(
        evaluator.workflow,
        Scope(
            {**evaluator.scope.contexts, "secrets": leg.run.secrets}, None, leg.run.info.workspace
        ),
    )
    leg.env = {
        **leg.run.workflow_env,
        **with_secrets.mapping(job.data.get("env"), (*job.path, "env")),
    }
    minutes = evaluator.number(
        job.data.get("timeout-minutes", DEFAULT_TIMEOUT_MINUTES), (*job.path, "timeout-minutes")
    )
    leg.deadline = time.monotonic() + minutes * 60
    return evaluator.flag(
        job.data.get("continue-on-error", False), (*job.path, "continue-on-error")
    )


def _notes(job: Job, evaluator: Evaluator) -> list[str]:
    """What of the job's setup does not happen here."""
    notes = []
    runs_on = job.data.get("runs-on")
    if runs_on is not None:
        shown = evaluator.value(runs_on, (*job.path, "runs-on"))
        notes.append(f"runs-on: {shown} -> runs here, on this host")
    if job.data.get("container"):
        notes.append("container: not started; the steps run on this host")
    if job.data.get("services"):
        names = ", ".join(job.data["services"])
        endpoints = "DATABASE_URL, REDIS_URL, AWS_ENDPOINT_URL, APP_URL"
        notes.append(f"services: {names} not started; the sandbox's are in the env: {endpoints}")
    return notes


def _run_steps(leg: LegState, result: JobResult) -> None:
    total = len(leg.job.steps)
    for number, step in enumerate(leg.job.steps, 1):
        if leg.run.cancelled:
            outcome = StepResult(
                step.default_name(),
                step.id,
                Conclusion.CANCELLED,
                Conclusion.CANCELLED,
                message="the run was cancelled",
            )
        elif time.monotonic() >= leg.deadline:
            leg.failed = True
            outcome = StepResult(
                step.default_name(),
                step.id,
                Conclusion.CANCELLED,
                Conclusion.CANCELLED,
                message="the job's timeout-minutes had passed",
            )
        else:
            outcome = _step(leg, step, number, total)
        result.steps.append(outcome)
        leg.run.reporter.step_finished(number, total, outcome)


def _step(leg: LegState, step: Step, number: int, total: int) -> StepResult:
    started = time.monotonic()
    try:
        return run_step(leg, step, number, total)
    except KeyboardInterrupt:  # the step's processes are stopped already (process.py)
        leg.run.cancelled = True
        name = str(step.data.get("name") or step.default_name())
        interrupted = StepResult(name, step.id, Conclusion.CANCELLED, Conclusion.CANCELLED)
        interrupted.message = "interrupted (Ctrl-C)"
        interrupted.seconds = time.monotonic() - started
        return interrupted


def _outputs(leg: LegState, result: JobResult) -> str:
    """The job's outputs: (message of the error evaluating them, '' when none)."""
    raw = leg.job.data.get("outputs") or {}
    scope = Scope(leg.contexts(leg.env_context()), None, leg.run.info.workspace)
    try:
        result.outputs = Evaluator(leg.run.workflow, scope).mapping(raw, (*leg.job.path, "outputs"))
    except WorkflowError as err:
        return err.message
    return ""


def _finish(
    leg: LegState, result: JobResult, started: float, keep_going: bool, message: str
) -> JobResult:
    stopped = sum(stop_group(group) for group in leg.groups if group_alive(group))
    if stopped:
        result.notes.append(f"stopped {stopped} background process group(s) its steps left")
    failed = leg.failed or bool(message)
    outcome = Conclusion.FAILURE if failed else Conclusion.SUCCESS
    if leg.run.cancelled and not failed:
        outcome = Conclusion.CANCELLED
    result.outcome = outcome
    result.conclusion = Conclusion.SUCCESS if failed and keep_going else outcome
    result.message = message or _first_failure(result)
    result.summary = "\n".join(leg.summary)
    result.seconds = time.monotonic() - started
    leg.run.reporter.job_finished(result)
    return result


def _first_failure(result: JobResult) -> str:
    failed = next(
        (
            s
            for s in result.steps
            if s.outcome is Conclusion.FAILURE and s.conclusion is Conclusion.FAILURE
        ),
        None,
    )
    return f"step `{failed.name}` failed: {failed.message}" if failed else ""


def _not_run(run: RunState, job: Job, conclusion: Conclusion, message: str) -> JobResult:
    result = JobResult(job.id, job.id, conclusion, message=message)
    run.reporter.job_finished(result)
    return result


def _cancelled_leg(leg: LegState) -> JobResult:
    reason = "the run was cancelled" if leg.run.cancelled else "another leg of its matrix failed"
    name = leg_name(leg.job.id, leg.matrix)
    result = JobResult(leg.job.id, name, Conclusion.CANCELLED, matrix=leg.matrix, message=reason)
    leg.run.reporter.job_finished(result)
    return result
