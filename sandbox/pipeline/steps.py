"""One step: its `if:`, its env, then a `run:` script in a shell or a `uses:` action's local
stand-in, then what it wrote to $GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_PATH and
$GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import os
import shlex
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import WorkflowError
from sandbox.pipeline import actions
from sandbox.pipeline.actions import ActionCall, ActionFailed, ActionResult
from sandbox.pipeline.commands import CommandFileError, CommandFiles
from sandbox.pipeline.conditions import condition
from sandbox.pipeline.expressions import Scope
from sandbox.pipeline.model import Step
from sandbox.pipeline.process import run_streaming
from sandbox.pipeline.results import LOG_TAIL, Conclusion, StepResult
from sandbox.pipeline.state import Evaluator, LegState

# GitHub's templates (the script file is {0}); pwsh and cmd are not run here. With no
# shell: given, GitHub runs bash without pipefail; `shell: bash` adds it.
DEFAULT_SHELL = ("bash -e {0}", ".sh")
SHELLS = {
    "bash": ("bash --noprofile --norc -eo pipefail {0}", ".sh"),
    "sh": ("sh -e {0}", ".sh"),
    "python": ("python {0}", ".py"),
}


class StepFailed(Exception):
    """The step cannot run or its command failed; the message says why."""

    def __init__(
        self, message: str, not_run_locally: bool = False, effects: Effects | None = None
    ) -> None:
        super().__init__(message)
        self.not_run_locally = not_run_locally
        self.effects = effects  # what it wrote before failing still counts, as on GitHub


@dataclass
class Effects:
    """What a step leaves for the steps after it."""

    outputs: dict[str, str]
    env: dict[str, str]
    path: list[str]
    summary: str = ""
    message: str = ""


def run_step(leg: LegState, step: Step, number: int, total: int) -> StepResult:
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=LOG_TAIL)
    scope = Scope(
        leg.contexts(leg.env_context(), with_secrets=False), leg.status(), leg.run.info.workspace
    )
    evaluator = Evaluator(leg.run.workflow, scope)
    name = step.default_name()
    try:
        name = _name(leg, step)
        if not evaluator.condition(condition(step.data.get("if")), (*step.path, "if")):
            return _skipped(leg, step, name)
        leg.run.reporter.step_started(number, total, name)
        return _execute(leg, step, name, tail, started)
    except WorkflowError as err:  # an expression that cannot be evaluated
        leg.run.reporter.step_started(number, total, name)
        return _finished(leg, step, name, started, tail, StepFailed(err.message), False)


def _execute(leg: LegState, step: Step, name: str, tail: deque[str], started: float) -> StepResult:
    step_env = _evaluator(leg, None).mapping(step.data.get("env"), (*step.path, "env"))
    evaluator = _evaluator(leg, step_env)
    keep_going = evaluator.flag(
        step.data.get("continue-on-error", False), (*step.path, "continue-on-error")
    )
    effects: Effects | StepFailed
    try:
        log = _logger(leg, tail)
        if step.uses is not None:
            effects = _run_action(leg, step, evaluator, step_env, log)
        else:
            effects = _run_script(leg, step, evaluator, step_env, log, _timeout(leg, step))
    except StepFailed as failed:
        effects = failed
    except WorkflowError as err:  # an expression in run:, with: or shell: cannot be evaluated
        effects = StepFailed(err.message)
    return _finished(leg, step, name, started, tail, effects, keep_going)


def _evaluator(leg: LegState, step_env: Mapping[str, str] | None) -> Evaluator:
    scope = Scope(leg.contexts(leg.env_context(step_env)), leg.status(), leg.run.info.workspace)
    return Evaluator(leg.run.workflow, scope)


def _name(leg: LegState, step: Step) -> str:
    raw = step.data.get("name")
    if raw is None:
        return step.default_name()
    return _evaluator(leg, None).text(raw, (*step.path, "name"))


def _timeout(leg: LegState, step: Step) -> float | None:
    """Seconds the step may take: its timeout-minutes, and no longer than the job has left
    (None: no limit)."""
    left = leg.deadline - time.monotonic()
    raw = step.data.get("timeout-minutes")
    if raw is not None:
        minutes = _evaluator(leg, None).number(raw, (*step.path, "timeout-minutes"))
        left = min(minutes * 60, left)
    return None if left == float("inf") else max(left, 0.0)


def _logger(leg: LegState, tail: deque[str]) -> Callable[[str], None]:
    secrets = [value for value in leg.run.secrets.values() if len(value) >= 3]

    def log(line: str) -> None:
        for secret in secrets:  # as on GitHub, a secret's value never shows in a log
            line = line.replace(secret, "***")
        tail.append(line)
        leg.run.reporter.line(line)

    return log


def _run_script(
    leg: LegState,
    step: Step,
    evaluator: Evaluator,
    step_env: Mapping[str, str],
    log: Callable[[str], None],
    timeout: float | None,
) -> Effects:
    script = evaluator.text(step.data.get("run", ""), (*step.path, "run"))
    argv, suffix = _shell(leg, step, evaluator)
    files = CommandFiles.create(leg.run.info.temp / "_runner_file_commands")
    script_file = leg.run.info.temp / f"{files.tag}{suffix}"
    script_file.write_text(script, encoding="utf-8")
    command = [part.replace("{0}", str(script_file)) for part in argv]
    env = _process_env(leg, step, step_env, files)
    cwd = _working_directory(leg, step, evaluator)
    finished = run_streaming(command, cwd, env, timeout, log)
    leg.groups.append(finished.group)
    effects = _read_effects(files)
    if finished.timed_out:
        minutes = f"{timeout / 60:.3g} min" if timeout else "the job's timeout-minutes"
        raise StepFailed(f"timed out after {minutes}: its processes were stopped", False, effects)
    if finished.exit_code != 0:
        raise StepFailed(f"exit code {finished.exit_code}", False, effects)
    return effects


def _shell(leg: LegState, step: Step, evaluator: Evaluator) -> tuple[list[str], str]:
    raw = step.data.get("shell") or _default(leg, "shell")
    if raw is None:
        return shlex.split(DEFAULT_SHELL[0]), DEFAULT_SHELL[1]
    shell = evaluator.text(raw, (*step.path, "shell")).strip()
    template, suffix = SHELLS.get(shell, (shell, ".sh"))
    if "{0}" not in template:
        if shell in ("pwsh", "powershell", "cmd"):
            raise StepFailed(f"shell: {shell} is not run by the sandbox: use bash, sh or python")
        template = f"{template} {{0}}"  # a custom shell named without {0}
    return shlex.split(template), suffix


def _default(leg: LegState, key: str) -> object:
    """defaults.run.<key> of the job, else of the workflow."""
    for data in (leg.job.data, leg.run.workflow.data):
        value = ((data.get("defaults") or {}).get("run") or {}).get(key)
        if value is not None:
            return value
    return None


def _working_directory(leg: LegState, step: Step, evaluator: Evaluator) -> Path:
    raw = step.data.get("working-directory") or _default(leg, "working-directory")
    workspace = leg.run.info.workspace
    if not raw:
        return workspace
    folder = workspace / evaluator.text(raw, (*step.path, "working-directory"))
    if not folder.is_dir():
        raise StepFailed(f"working-directory {folder} does not exist: create it or fix the path")
    return folder


def _process_env(
    leg: LegState, step: Step, step_env: Mapping[str, str], files: CommandFiles
) -> dict[str, str]:
    env = {**leg.run.base_env, **leg.env_context(step_env)}
    env.update(files.variables())
    env["GITHUB_JOB"] = leg.job.id
    env["GITHUB_ACTION"] = step.id or f"__run_{step.index + 1}"
    first = [*leg.run.first_on_path, *leg.added_path]
    if first:
        env["PATH"] = os.pathsep.join([*first, env.get("PATH", "")])
    return env


def _read_effects(files: CommandFiles) -> Effects:
    try:
        return Effects(files.outputs(), files.env(), files.paths(), files.summary())
    except CommandFileError as err:
        raise StepFailed(str(err)) from None


def _run_action(
    leg: LegState,
    step: Step,
    evaluator: Evaluator,
    step_env: Mapping[str, str],
    log: Callable[[str], None],
) -> Effects:
    uses = step.uses or ""
    action = actions.local_action(uses)
    if action is None:
        raise StepFailed(
            f"not run locally: {uses} (the sandbox runs only {actions.supported()}; do "
            "its work in a run: step, or set continue-on-error: true)",
            not_run_locally=True,
        )
    inputs = evaluator.mapping(step.data.get("with"), (*step.path, "with"))
    files = CommandFiles.create(leg.run.info.temp / "_runner_file_commands")
    call = ActionCall(
        uses,
        {k.lower(): v for k, v in inputs.items()},
        _process_env(leg, step, step_env, files),
        leg.run.info.workspace,
        leg.run.home,
        log,
    )
    try:
        result: ActionResult = action(call)
    except ActionFailed as err:
        written = None if err.result is None else _action_effects(err.result)
        raise StepFailed(f"{uses}: {err}", effects=written) from None
    return _action_effects(result)


def _action_effects(result: ActionResult) -> Effects:
    return Effects(result.outputs, result.env, result.path, result.summary)


def _finished(
    leg: LegState,
    step: Step,
    name: str,
    started: float,
    tail: deque[str],
    effects: Effects | StepFailed,
    keep_going: bool,
) -> StepResult:
    failed = isinstance(effects, StepFailed)
    outcome = Conclusion.FAILURE if failed else Conclusion.SUCCESS
    conclusion = Conclusion.SUCCESS if failed and keep_going else outcome
    result = StepResult(
        name, step.id, outcome, conclusion, time.monotonic() - started, log_tail=list(tail)
    )
    if isinstance(effects, StepFailed):
        result.message = str(effects)
        result.not_run_locally = effects.not_run_locally
        effects = effects.effects or Effects({}, {}, [])
    _apply(leg, effects)
    result.outputs = effects.outputs
    _record(leg, step, result)
    return result


def _apply(leg: LegState, effects: Effects) -> None:
    leg.added_env.update(effects.env)
    leg.added_path[:0] = reversed(effects.path)  # each line goes first, as GitHub does
    if effects.summary.strip():
        leg.summary.append(effects.summary)


def _record(leg: LegState, step: Step, result: StepResult) -> None:
    if result.conclusion is Conclusion.FAILURE:
        leg.failed = True
    if step.id:
        leg.steps[step.id] = {
            "outputs": result.outputs,
            "outcome": str(result.outcome),
            "conclusion": str(result.conclusion),
        }


def _skipped(leg: LegState, step: Step, name: str) -> StepResult:
    result = StepResult(
        name, step.id, Conclusion.SKIPPED, Conclusion.SKIPPED, message="its if: condition is false"
    )
    _record(leg, step, result)
    return result
