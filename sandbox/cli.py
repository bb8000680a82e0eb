"""The `sandbox` command: the root group and the table of its commands.

Each command lives in a cli_*.py module, thin: it parses, calls the core, and prints text or
JSON. A module is imported only when its command runs (sandbox/cli_lazy.py).
"""

from __future__ import annotations

import sys

import click

from sandbox import __version__
from sandbox.cli_lazy import Lazy, LazyGroup
from sandbox.config import BACKENDS, withhold_grader_key
from sandbox.errors import SandboxError

# name -> "module:attribute" and the first sentence of the command's help, which `sandbox --help`
# lists without importing the module (tests/unit/test_cli_lazy.py holds it to the command's own).
COMMANDS = {
    "up": Lazy("sandbox.cli_stack:up", "Start every service and return once all are healthy."),
    "down": Lazy(
        "sandbox.cli_stack:down", "Stop every service (SIGTERM, then SIGKILL after a timeout)."
    ),
    "status": Lazy(
        "sandbox.cli_stack:status",
        "Show each service's state, pid, port, URL, uptime and restarts (exit 0 if all healthy).",
    ),
    "logs": Lazy(
        "sandbox.cli_stack:logs",
        "Print the log of SERVICE (postgres, redis, aws, app, supervisor), or of all.",
    ),
    "reset": Lazy(
        "sandbox.cli_stack:reset",
        "Stop the stack and delete all its data (databases, emulator state, logs).",
    ),
    "stop": Lazy(
        "sandbox.cli_stack:stop_service",
        "Stop one SERVICE and keep it stopped (the rest keep running) until `sandbox start`.",
    ),
    "start": Lazy(
        "sandbox.cli_stack:start_service",
        "Start one SERVICE stopped by `sandbox stop`, and wait until it is healthy.",
    ),
    "restart": Lazy(
        "sandbox.cli_stack:restart_service",
        "Stop and start one SERVICE (e.g. the app after editing its code).",
    ),
    "deploy": Lazy(
        "sandbox.cli_aws:deploy_command",
        "Deploy the Lambda processor and wire S3, SQS, SNS, EventBridge, DynamoDB and the API.",
    ),
    "fire": Lazy(
        "sandbox.cli_aws:fire_command",
        "Send a real SOURCE event through the emulator and show what the processor did.",
    ),
    "events": Lazy("sandbox.cli_aws:events_group", "Sample events for each source."),
    "invoke": Lazy(
        "sandbox.cli_aws:invoke_command",
        "Invoke the processor directly with an event (e.g. from `sandbox events sample`).",
    ),
    "ddb": Lazy("sandbox.cli_aws:ddb_group", "Browse DynamoDB."),
    "s3": Lazy("sandbox.cli_aws:s3_group", "Browse S3."),
    "sqs": Lazy("sandbox.cli_aws:sqs_group", "Browse SQS."),
    "release": Lazy(
        "sandbox.cli_release:release_group",
        "Published versions of the processor and its `live` alias.",
    ),
    "rollback": Lazy(
        "sandbox.cli_release:rollback_command",
        "Move the `live` alias back to the version that was live before.",
    ),
    "lab": Lazy(
        "sandbox.cli_labs:lab_group",
        "Labs from the course: start one, work in workspace/<id>/, check your progress.",
    ),
    "classroom": Lazy(
        "sandbox.cli_classroom:classroom_group",
        "GitHub Classroom: each learner's push graded on GitHub's runners.",
    ),
    "check": Lazy(
        "sandbox.cli_check:check",
        "Grade Kubernetes manifests or a Dockerfile offline: no cluster, no Docker, no network.",
    ),
    "pipeline": Lazy(
        "sandbox.cli_pipeline:pipeline",
        "Run a GitHub Actions workflow offline, on this host, against the sandbox.",
    ),
    "tui": Lazy(
        "sandbox.cli_tui:tui_command",
        "Open the terminal UI: the stack, the Lambda and its events, data, metrics and labs.",
    ),
    "serve": Lazy(
        "sandbox.cli_tui:serve_command",
        "Serve the same TUI in a browser at http://127.0.0.1:PORT (for classrooms and demos).",
    ),
    "fault": Lazy(
        "sandbox.cli_faults:fault_group",
        "Inject network faults (latency, timeouts, resets, HTTP errors) between services.",
    ),
    "chaos": Lazy(
        "sandbox.cli_chaos:chaos_group",
        "Make AWS API calls on the emulator fail or slow down (LocalStack's chaos API).",
    ),
    "demo": Lazy(
        "sandbox.cli_demo:demo_command",
        "A tour on a throw-away stack of its own: start it, deploy, fire every event source, "
        "the item in DynamoDB, a metric under load, lab 01 graded on its starter and its solution.",
    ),
    "snapshot": Lazy(
        "sandbox.cli_snapshot:snapshot_group",
        "Save the whole stack's state (PostgreSQL, Redis, the emulator's resources and S3 objects, "
        "lab progress) and load it back.",
    ),
}


def main() -> None:
    """Entry point: every SandboxError becomes its message on stderr and exit code 1."""
    try:
        cli(standalone_mode=False)
    except SandboxError as err:
        click.echo(f"error: {err.render()}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
)
@click.version_option(__version__, prog_name="sandbox")
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    help="embedded (default: real processes, no Docker), compose (Docker) or external "
    "(services the sandbox does not start: SANDBOX_AWS_ENDPOINT or real AWS, "
    "SANDBOX_POSTGRES_URL, SANDBOX_REDIS_URL, SANDBOX_APP_URL). "
    "Also SANDBOX_BACKEND; otherwise the one the last `up` used.",
)
@click.pass_context
def cli(ctx: click.Context, backend: str | None) -> None:
    """A local cloud teaching sandbox: an AWS emulator, PostgreSQL, Redis and a Flask app.

    With no command, opens the terminal UI (in a terminal) or prints this help."""
    withhold_grader_key()
    ctx.obj = {"backend": backend}
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            from sandbox.cli_tui import tui_command

            ctx.invoke(tui_command)
        else:
            click.echo(ctx.get_help())
