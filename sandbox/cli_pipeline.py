"""`sandbox pipeline run|check`: GitHub Actions workflows, offline, on this host.

Exit codes of `run`: 0 the run succeeded, 1 it failed, 2 the workflow cannot run (YAML,
schema, an expression, `needs`, an unknown job or event), 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from sandbox.config import Settings
from sandbox.errors import WorkflowError
from sandbox.pipeline import (
    RunOptions,
    TextReporter,
    find_workflow,
    load_workflow,
    run_workflow,
    sandbox_variables,
    summary_table,
)
from sandbox.pipeline.problems import InvalidWorkflowError
from sandbox.pipeline.results import Conclusion
from sandbox.stack import choose_backend

EXIT_CANNOT_RUN = 2
EXIT_CODES = {Conclusion.SUCCESS: 0, Conclusion.FAILURE: 1, Conclusion.CANCELLED: 130}
WORKFLOW_ARG = click.argument("workflow", required=False, type=click.Path(path_type=Path))
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def pipeline() -> None:
    """Run a GitHub Actions workflow offline, on this host, against the sandbox.

    Steps see the sandbox's endpoints (AWS_ENDPOINT_URL, DATABASE_URL, REDIS_URL, APP_URL)
    and GitHub's variables; secrets come from SANDBOX_SECRET_<NAME>."""


@pipeline.command("run")
@WORKFLOW_ARG
@click.option("--job", "-j", help="Run this job and the jobs it needs (default: all).")
@click.option("--event", default="push", show_default=True, help="The triggering event.")
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    help="The checkout to run in (default: the repository holding the workflow).",
)
@JSON_OPTION
@click.pass_context
def run_command(
    ctx: click.Context,
    workflow: Path | None,
    job: str | None,
    event: str,
    workspace: Path | None,
    as_json: bool,
) -> None:
    """Run WORKFLOW (default: the only file in .github/workflows/): jobs in `needs` order,
    live output per step, then a summary. Exit 0 on success, 1 on failure, 2 when the
    workflow cannot run."""
    settings = Settings.from_env()
    backend = choose_backend(settings, (ctx.find_root().obj or {}).get("backend"))
    options = RunOptions(
        settings.home, sandbox_variables(settings, backend), dict(os.environ), event, job, workspace
    )
    progress = sys.stderr if as_json else sys.stdout
    try:
        loaded = load_workflow(find_workflow(workflow))
        result = run_workflow(loaded, options, TextReporter(progress))
    except WorkflowError as err:
        _cannot_run(err, as_json)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(f"\n{summary_table(result)}")
    sys.exit(EXIT_CODES.get(result.conclusion, 1))


@pipeline.command("check")
@WORKFLOW_ARG
@JSON_OPTION
def check_command(workflow: Path | None, as_json: bool) -> None:
    """Check WORKFLOW without running it: YAML, GitHub's schema, expressions, `needs`."""
    try:
        loaded = load_workflow(find_workflow(workflow))
    except WorkflowError as err:
        _cannot_run(err, as_json)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": loaded.source.file,
                    "valid": True,
                    "problems": [],
                    "jobs": list(loaded.jobs),
                }
            )
        )
    else:
        click.echo(
            f"{loaded.source.file}: valid ({len(loaded.jobs)} jobs: {', '.join(loaded.jobs)})"
        )


def _cannot_run(err: WorkflowError, as_json: bool) -> None:
    if as_json:
        problems = err.problems if isinstance(err, InvalidWorkflowError) else ()
        body = {
            "valid": False,
            "error": err.message,
            "hint": err.hint,
            "problems": [p.to_dict() for p in problems],
        }
        click.echo(json.dumps(body))
    else:
        click.echo(f"error: {err.render()}", err=True)
    sys.exit(EXIT_CANNOT_RUN)
