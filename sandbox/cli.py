"""The `sandbox` command: thin. It parses, calls the core, and prints text or JSON."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import click

from sandbox import __version__
from sandbox.config import Settings
from sandbox.errors import SandboxError
from sandbox.services import foreground


def main() -> None:
    """Entry point: every SandboxError becomes its message on stderr and exit code 1."""
    try:
        cli(standalone_mode=False)
    except SandboxError as err:
        click.echo(f"error: {err.render()}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sandbox")
def cli() -> None:
    """A local cloud teaching sandbox: PostgreSQL, Redis and the Flask app, offline."""


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the endpoints as JSON.")
def run(as_json: bool) -> None:
    """Start PostgreSQL, Redis and the app in the foreground; Ctrl-C stops them."""
    settings = Settings.from_env()
    stop = threading.Event()
    _on_signals(lambda: stop.set())
    with foreground.running(settings, progress=_progress(as_json)) as endpoints:
        _print_endpoints(endpoints, as_json)
        stop.wait()
        click.echo("stopping (data is kept) ...", err=True)


def _progress(quiet: bool) -> Callable[[str], None]:
    return (lambda _message: None) if quiet else (lambda message: click.echo(message, err=True))


def _print_endpoints(endpoints: dict[str, dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(endpoints, indent=2))
        return
    for name, info in endpoints.items():
        click.echo(f"{name:<9} {info['url']:<50} pid {info['pid']}")
    click.echo("Press Ctrl-C to stop; data is kept in the state directory.")


def _on_signals(handler: Callable[[], None]) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: handler())
