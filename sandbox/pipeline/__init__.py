"""`sandbox pipeline run`: GitHub Actions workflows run offline on this host, against the
sandbox. The parts, in the order a run uses them:

    source.py      YAML read with line numbers (YAML 1.2 booleans, as GitHub reads it)
    schema.py      GitHub's workflow schema, violations explained at their line
    checks.py      expressions parse, `needs` name jobs and make no cycle (graph.py)
    expressions/   the ${{ }} language: grammar, parser, values, functions, evaluator
    matrix.py      strategy.matrix with include and exclude
    runner.py      the run: event, environment (environment.py), jobs in order
    jobs.py        one job: if:, matrix legs, env, timeout, outputs
    steps.py       one step: run: in a shell (process.py), or uses: (actions/)
    report.py      live progress and the summary table
"""

from sandbox.pipeline.environment import sandbox_variables
from sandbox.pipeline.loading import find_workflow, load_workflow
from sandbox.pipeline.report import QuietReporter, TextReporter, summary_table
from sandbox.pipeline.results import Conclusion, JobResult, RunResult, StepResult
from sandbox.pipeline.runner import RunOptions, run_workflow

__all__ = [
    "Conclusion",
    "JobResult",
    "QuietReporter",
    "RunOptions",
    "RunResult",
    "StepResult",
    "TextReporter",
    "find_workflow",
    "load_workflow",
    "run_workflow",
    "sandbox_variables",
    "summary_table",
]
