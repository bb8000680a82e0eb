"""The `sandbox` command: thin. It parses, calls the core, and prints text or JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from sandbox import __version__
from sandbox.cli_lazy import Lazy, LazyGroup
from sandbox.config import BACKENDS, Settings
from sandbox.errors import SandboxError
from sandbox.stack import remember_backend, resolve_backend
from sandbox.stack.backend import Backend
from sandbox.stack.logs import parse_since
from sandbox.stack.model import StackStatus, State
from sandbox.stack.render import status_table
from sandbox.stack.specs import SERVICE_NAMES

# Every command kept in its own module, imported only when it runs (`sandbox check` must not
# import boto3). The help is the first sentence of the command's docstring, for `sandbox --help`
# (tests/unit/test_cli_lazy.py holds it to the command's own).
COMMANDS = {
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
    ctx.obj = {"backend": backend}
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            from sandbox.cli_tui import tui_command

            ctx.invoke(tui_command)
        else:
            click.echo(ctx.get_help())


def _settings() -> Settings:
    return Settings.from_env()


def _backend(ctx: click.Context, settings: Settings) -> Backend:
    """--backend, else SANDBOX_BACKEND, else the backend the last `up` here used."""
    return resolve_backend(settings, ctx.obj.get("backend"))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for health.")
@click.pass_context
def up(ctx: click.Context, as_json: bool, timeout: float) -> None:
    """Start every service and return once all are healthy."""
    settings = _settings()
    backend = _backend(ctx, settings)
    result = backend.start(progress=None if as_json else _progress_printer(), timeout=timeout)
    remember_backend(settings, backend.name)
    if as_json:
        click.echo(
            json.dumps({**result.status.to_dict(), "already_running": result.already_running})
        )
        return
    if result.already_running:
        click.echo("The stack is already running; nothing to do.")
    click.echo(status_table(result.status))


def _progress_printer() -> Any:
    seen: dict[str, State] = {}

    def show(status: StackStatus) -> None:
        for name, service in status.services.items():
            if seen.get(name) is not service.state:
                seen[name] = service.state
                click.echo(f"  {name:<9} {service.state}", err=True)

    return show


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def down(ctx: click.Context, as_json: bool) -> None:
    """Stop every service (SIGTERM, then SIGKILL after a timeout). Data is kept."""
    backend = _backend(ctx, _settings())
    status = backend.stop()
    if as_json:
        click.echo(json.dumps(status.to_dict()))
    elif backend.name == "external":
        click.echo("Nothing stopped: the external backend does not start or stop its services.")
    else:
        click.echo("Stopped. Data is kept in the state directory; `sandbox up` brings it back.")


class ServiceChoice(click.Choice):  # type: ignore[type-arg]
    """The stack's services, and the lab services a started lab added (read when parsed)."""

    def __init__(self) -> None:
        super().__init__(SERVICE_NAMES)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from sandbox.stack import labservices

        try:
            self.choices = (*SERVICE_NAMES, *labservices.read(_settings().home))
        except SandboxError:
            self.choices = SERVICE_NAMES
        return super().convert(value, param, ctx)


SERVICE_ARG = click.argument("service", type=ServiceChoice())


@cli.command("stop")
@SERVICE_ARG
@click.pass_context
def stop_service(ctx: click.Context, service: str) -> None:
    """Stop one SERVICE and keep it stopped (the rest keep running) until `sandbox start`."""
    _backend(ctx, _settings()).stop_service(service)
    click.echo(f"{service} stopped; `sandbox start {service}` brings it back.")


@cli.command("start")
@SERVICE_ARG
@click.pass_context
def start_service(ctx: click.Context, service: str) -> None:
    """Start one SERVICE stopped by `sandbox stop`, and wait until it is healthy."""
    _backend(ctx, _settings()).start_service(service)
    click.echo(f"{service} is healthy.")


@cli.command("restart")
@SERVICE_ARG
@click.pass_context
def restart_service(ctx: click.Context, service: str) -> None:
    """Stop and start one SERVICE (e.g. the app after editing its code)."""
    backend = _backend(ctx, _settings())
    backend.stop_service(service)
    backend.start_service(service)
    click.echo(f"{service} restarted and healthy.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show each service's state, pid, port, URL, uptime and restarts (exit 0 if all healthy)."""
    current = _backend(ctx, _settings()).status()
    click.echo(json.dumps(current.to_dict()) if as_json else status_table(current))
    sys.exit(0 if current.all_healthy else 3)


@cli.command()
@click.argument("service", required=False)
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines (Ctrl-C stops).")
@click.option("--since", help="Only lines since a duration ago (30s, 10m, 2h) or a time.")
@click.option("-n", "--tail", "last", type=int, help="Only the last N lines (per service).")
@click.pass_context
def logs(
    ctx: click.Context, service: str | None, follow: bool, since: str | None, last: int | None
) -> None:
    """Print the log of SERVICE (postgres, redis, aws, app, supervisor), or of all."""
    backend = _backend(ctx, _settings())
    lines = backend.logs(service, parse_since(since) if since else None, follow)
    try:
        if last is not None and not follow:
            lines = iter(list(lines)[-last:])
        for line in lines:
            click.echo(line)
    except KeyboardInterrupt:
        pass


@cli.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def reset(ctx: click.Context, yes: bool) -> None:
    """Stop the stack and delete all its data (databases, emulator state, logs)."""
    settings = _settings()
    if not yes and not sys.stdin.isatty():
        raise click.UsageError("reset deletes all data; run it with --yes to confirm")
    if not yes:
        click.confirm(f"Delete everything in {settings.home}?", abort=True)
    _backend(ctx, settings).reset()
    click.echo(f"Reset: {settings.home} is gone; `sandbox up` starts from scratch.")
