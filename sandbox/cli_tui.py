"""`sandbox tui` (also `sandbox` with no arguments) and `sandbox serve`: the Textual TUI in
this terminal, or the same TUI in a browser through textual-serve (sandbox/serve/): on
127.0.0.1 by default, and on any other address only with a token."""

from __future__ import annotations

import os
import shlex
import sys

import click

SERVE_HOST = "127.0.0.1"  # another address needs a token: the TUI can start and stop the stack


@click.command("tui")
@click.pass_context
def tui_command(ctx: click.Context) -> None:
    """Open the terminal UI: the stack, the Lambda and its events, data, metrics and labs."""
    from sandbox.tui.run import run

    click.echo(run((ctx.obj or {}).get("backend")))


@click.command("serve")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1024, 65535),
    help="Port to serve the TUI on.",
)
@click.option(
    "--host",
    default=SERVE_HOST,
    show_default=True,
    help="Address to listen on. Any other than 127.0.0.1 needs a token.",
)
@click.option(
    "--token",
    help="The token browsers must bring (?token=...); made and printed "
    "when --host is another address and none is given.",
)
@click.pass_context
def serve_command(ctx: click.Context, port: int, host: str, token: str | None) -> None:
    """Serve the same TUI in a browser at http://127.0.0.1:PORT (for classrooms and demos).
    The page needs nothing from outside this machine."""
    from sandbox.serve.server import SandboxServer, checked_token, ensure_bindable

    token = checked_token(token, host)
    ensure_bindable(host, port)
    backend = (ctx.obj or {}).get("backend")
    if backend:
        os.environ["SANDBOX_BACKEND"] = backend  # each browser session's TUI inherits it
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Open http://{shown}:{port}/" + (f"?token={token}" if token else ""))
    if token:
        click.echo("Only a browser that brings this token can drive the stack.")
    command = shlex.join([sys.executable, "-m", "sandbox.tui"])
    SandboxServer(command, host, port, token).serve()


COMMANDS = [tui_command, serve_command]


@click.group()
def _standalone() -> None:
    """Both commands without the main CLI (`python -m sandbox.cli_tui`)."""


for _command in COMMANDS:
    _standalone.add_command(_command)

if __name__ == "__main__":
    _standalone()
