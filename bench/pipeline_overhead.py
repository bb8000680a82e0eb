"""What the pipeline runner adds to each step beyond the step's own command.

    .venv/bin/python bench/pipeline_overhead.py [--steps N] [--runs R]

Each step is a realistic small one: env at three levels, expressions in `run:` and `env:`,
a write to $GITHUB_OUTPUT that the next step reads. The same commands run bare (bash on a
script file, as the runner starts them) give the baseline. The cost per step is the slope
between a run of N and of 2N steps (fixed costs cancel out), minus the baseline's slope.
Also reported: a step whose command sleeps 200 ms (an exit noticed late would show here),
loading and checking the workflow, and the fixed cost of a run (git, temp dir, event file).

Prints JSON; the goal is at most 50 ms per step. On a loaded machine the figures move by a
few ms from run to run (a small overhead can come out below zero).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.machine import context  # noqa: E402
from sandbox.config import Settings  # noqa: E402
from sandbox.pipeline import (  # noqa: E402
    QuietReporter,
    RunOptions,
    TextReporter,
    load_workflow,
    run_workflow,
    sandbox_variables,
)
from sandbox.pipeline.state import Reporter  # noqa: E402

GOAL_MS = 50.0
STEP = """
      - id: s{n}
        name: Step {n} of ${{{{ github.workflow }}}}
        env:
          PREVIOUS: ${{{{ steps.s{p}.outputs.value || 'none' }}}}
        run: |
          echo "value={n}-$PREVIOUS-${{{{ env.LEVEL }}}}" >> "$GITHUB_OUTPUT"
"""
COMMAND = 'PREVIOUS=none; echo "value={n}-$PREVIOUS-job" >> "$GITHUB_OUTPUT"\n'


def workflow_text(steps: int, sleep: bool = False) -> str:
    head = textwrap.dedent("""
        name: bench
        on: push
        env: {LEVEL: workflow}
        jobs:
          bench:
            runs-on: ubuntu-latest
            env: {LEVEL: job}
            steps:
    """)
    body = "".join(STEP.format(n=n, p=n - 1) for n in range(1, steps + 1))
    if sleep:
        body = "\n      - run: sleep 0.2\n"
    return head + body


def run_seconds(folder: Path, text: str, reporter: Reporter) -> float:
    return timed_run(folder, text, reporter)[0]


def timed_run(folder: Path, text: str, reporter: Reporter) -> tuple[float, float]:
    """Seconds for the whole run, and the first step's own seconds as the runner timed it."""
    path = folder / ".github" / "workflows" / "bench.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    workflow = load_workflow(path)
    settings = Settings.from_env({"SANDBOX_HOME": str(folder / ".sandbox")})
    options = RunOptions(settings.home, sandbox_variables(settings, "embedded"), dict(os.environ))
    started = time.perf_counter()
    result = run_workflow(workflow, options, reporter)
    seconds = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"the benchmark workflow failed: {result.to_dict()}")
    return seconds, result.jobs[0].steps[0].seconds


def bare_seconds(folder: Path, steps: int, sleep: bool = False) -> float:
    """The same commands, each in bash on a script file, without the runner."""
    output = folder / "output"
    started = time.perf_counter()
    for n in range(1, steps + 1):
        script = folder / f"bare{n}.sh"
        script.write_text("sleep 0.2\n" if sleep else COMMAND.format(n=n))
        env = {**os.environ, "GITHUB_OUTPUT": str(output)}
        subprocess.run(
            ["bash", "-e", str(script)],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    return time.perf_counter() - started


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def per_step_ms(folder: Path, steps: int, runs: int, reporter: Reporter) -> dict[str, float]:
    small, large, bare_small, bare_large = [], [], [], []
    for _ in range(runs):  # interleaved, so a change in the machine's load hits all four
        small.append(run_seconds(folder, workflow_text(steps), reporter))
        large.append(run_seconds(folder, workflow_text(2 * steps), reporter))
        bare_small.append(bare_seconds(folder, steps))
        bare_large.append(bare_seconds(folder, 2 * steps))
    step = (statistics.median(large) - statistics.median(small)) / steps
    bare = (statistics.median(bare_large) - statistics.median(bare_small)) / steps
    return {
        "step_ms": round(step * 1000, 2),
        "command_ms": round(bare * 1000, 2),
        "overhead_ms_per_step": round((step - bare) * 1000, 2),
    }


def load_ms(folder: Path, runs: int) -> dict[str, float]:
    path = folder / ".github" / "workflows" / "bench.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow_text(20))
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        load_workflow(path)
        timings.append(time.perf_counter() - started)
    return {"load_first_ms": round(timings[0] * 1000, 2), "load_warm_ms": median_ms(timings[1:])}


def one_step_run(folder: Path, runs: int) -> dict[str, float]:
    """A run of one step sleeping 200 ms: what the runner adds to that step (an exit noticed
    late would show here), and the whole run's fixed cost (git, temp dir, event file)."""
    timed = [timed_run(folder, workflow_text(1, sleep=True), QuietReporter()) for _ in range(runs)]
    bare = statistics.median([bare_seconds(folder, 1, sleep=True) for _ in range(runs)])
    step = statistics.median(seconds for _, seconds in timed)
    whole = statistics.median(total for total, _ in timed)
    return {
        "overhead_ms_on_a_200ms_step": round((step - bare) * 1000, 2),
        "fixed_ms_per_run": round((whole - bare) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        loading = load_ms(folder, args.runs + 1)  # first: schema and grammar loaded cold
        quiet = per_step_ms(folder, args.steps, args.runs, QuietReporter())
        printed = per_step_ms(folder, args.steps, args.runs, TextReporter(io.StringIO()))
        single = one_step_run(folder, args.runs)
    worst = max(
        quiet["overhead_ms_per_step"],
        printed["overhead_ms_per_step"],
        single["overhead_ms_on_a_200ms_step"],
    )
    report = {
        "benchmark": "pipeline_overhead",
        "steps": [args.steps, 2 * args.steps],
        "runs": args.runs,
        "quiet": quiet,
        "with_progress_output": printed,
        **single,
        **loading,
        "goal_ms_per_step": GOAL_MS,
        "goal_met": worst <= GOAL_MS,
        **context(began, load_before),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
