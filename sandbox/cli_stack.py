"""The stack's commands: up, down, status, logs, reset; stop, start, restart one service."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from sandbox.config import Settings
from sandbox.errors import SandboxError
from sandbox.stack import remember_backend, resolve_backend
from sandbox.stack.backend import Backend
from sandbox.stack.logs import parse_since
from sandbox.stack.model import StackStatus, State
from sandbox.stack.render import status_table
from sandbox.stack.specs import SERVICE_NAMES


def _settings() -> Settings:
    return Settings.from_env()


def _backend(ctx: click.Context, settings: Settings) -> Backend:
    """--backend, else SANDBOX_BACKEND, else the backend the last `up` here used."""
    return resolve_backend(settings, ctx.obj.get("backend"))


@click.command("up")
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


@click.command("down")
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


@click.command("stop")
@SERVICE_ARG
@click.pass_context
def stop_service(ctx: click.Context, service: str) -> None:
    """Stop one SERVICE and keep it stopped (the rest keep running) until `sandbox start`."""
    _backend(ctx, _settings()).stop_service(service)
    click.echo(f"{service} stopped; `sandbox start {service}` brings it back.")


@click.command("start")
@SERVICE_ARG
@click.pass_context
def start_service(ctx: click.Context, service: str) -> None:
    """Start one SERVICE stopped by `sandbox stop`, and wait until it is healthy."""
    _backend(ctx, _settings()).start_service(service)
    click.echo(f"{service} is healthy.")


@click.command("restart")
@SERVICE_ARG
@click.pass_context
def restart_service(ctx: click.Context, service: str) -> None:
    """Stop and start one SERVICE (e.g. the app after editing its code)."""
    backend = _backend(ctx, _settings())
    backend.stop_service(service)
    backend.start_service(service)
    click.echo(f"{service} restarted and healthy.")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show each service's state, pid, port, URL, uptime and restarts (exit 0 if all healthy)."""
    current = _backend(ctx, _settings()).status()
    click.echo(json.dumps(current.to_dict()) if as_json else status_table(current))
    sys.exit(0 if current.all_healthy else 3)


@click.command("logs")
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


@click.command("reset")
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
