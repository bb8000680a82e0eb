"""command: run a program in the workspace (e.g. the learner's own tests); check its exit
code and output. `{python}` in the command is this sandbox's Python."""

from __future__ import annotations

import re
import subprocess
import sys

from pydantic import Field

from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params


class CommandParams(Params):
    run: list[str] = Field(min_length=1)
    exit_code: int = 0
    output_contains: str | None = None
    output_matches: str | None = None
    timeout: float = Field(120.0, gt=0, le=900)


def evaluate(params: CommandParams, ctx: CheckContext) -> Outcome:
    argv = [part.replace("{python}", sys.executable) for part in params.run]
    shown = " ".join(params.run)
    try:
        done = subprocess.run(argv, cwd=ctx.workspace, capture_output=True, text=True,
                              timeout=params.timeout, check=False)  # fmt: skip
    except FileNotFoundError:
        return Outcome.unknown(f"cannot run {argv[0]!r}: not installed")
    except subprocess.TimeoutExpired:
        return Outcome.failed(f"`{shown}` did not finish within {params.timeout:g} s")
    output = done.stdout + done.stderr
    tail = output.strip().splitlines()[-5:]
    if done.returncode != params.exit_code:
        return Outcome.failed(f"`{shown}` exited with {done.returncode} (expected "
                              f"{params.exit_code}): " + " | ".join(tail))  # fmt: skip
    if params.output_contains and params.output_contains not in output:
        return Outcome.failed(f"`{shown}` output lacks {params.output_contains!r}")
    if params.output_matches and not re.search(params.output_matches, output, re.MULTILINE):
        return Outcome.failed(f"`{shown}` output has nothing matching {params.output_matches!r}")
    return Outcome.passed(f"`{shown}` exited with {done.returncode}")


EXAMPLE = {"run": ["{python}", "-m", "pytest", "-q", "tests"], "output_contains": "passed"}
KIND = CheckKind(
    "command",
    CommandParams,
    evaluate,
    example=EXAMPLE,
    summary="Run a program in the workspace; check its exit code and output.",
)
