"""`sandbox tui` (also `sandbox` with no arguments) and `sandbox serve`: the Textual TUI in
this terminal, or the same TUI in a browser through textual-serve, on 127.0.0.1 only."""

from __future__ import annotations

import os
import shlex
import sys

import click

from sandbox.services.process import ensure_port_free

SERVE_HOST = "127.0.0.1"  # never another interface: the TUI can start and stop the stack


@click.command("tui")
@click.pass_context
def tui_command(ctx: click.Context) -> None:
    """Open the terminal UI: the stack, the Lambda and its events, data, metrics and labs."""
    from sandbox.tui.run import run

    click.echo(run((ctx.obj or {}).get("backend")))


@click.command("serve")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1024, 65535),
              help="Port on 127.0.0.1 to serve the TUI on.")  # fmt: skip
@click.pass_context
def serve_command(ctx: click.Context, port: int) -> None:
    """Serve the same TUI in a browser at http://127.0.0.1:PORT (for classrooms and demos)."""
    from textual_serve.server import Server

    ensure_port_free("serve", port, "--port")
    backend = (ctx.obj or {}).get("backend")
    if backend:
        os.environ["SANDBOX_BACKEND"] = backend  # each browser session's TUI inherits it
    command = shlex.join([sys.executable, "-m", "sandbox.tui"])
    Server(command, host=SERVE_HOST, port=port, title="sandbox").serve()


COMMANDS = [tui_command, serve_command]


@click.group()
def _standalone() -> None:
    """Both commands without the main CLI (`python -m sandbox.cli_tui`)."""


for _command in COMMANDS:
    _standalone.add_command(_command)

if __name__ == "__main__":
    _standalone()
