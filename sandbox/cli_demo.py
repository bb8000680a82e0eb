"""`sandbox demo`: a scripted offline tour in this terminal, optionally recorded."""

from __future__ import annotations

from pathlib import Path

import click

from sandbox.demo.cast import Cast, Output
from sandbox.demo.steps import STEPS
from sandbox.demo.tour import run_tour


@click.command("demo")
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the tour as an asciinema v2 cast to this file.",
)
@click.option(
    "--pace",
    type=click.FloatRange(0, 60),
    default=1.5,
    show_default=True,
    help="Seconds of pause after each step (0: no pauses).",
)
def demo_command(record: Path | None, pace: float) -> None:
    """A tour on a throw-away stack of its own: start it, deploy, fire every event source,
    the item in DynamoDB, a metric under load, lab 01 graded on its starter and its
    solution. Any key stops it; your own stack and progress are not touched."""
    cast = Cast(record, "sandbox demo") if record else None
    out = Output(cast)
    out.say(
        f"sandbox demo: {len(STEPS)} steps on a throw-away stack, offline (any key stops it)",
        bold=True,
    )
    try:
        done = run_tour(out, pace)
        out.say(f"Demo {'finished' if done == len(STEPS) else 'stopped'}: {done}/{len(STEPS)}.")
    finally:
        if cast is not None:
            cast.close()
    if record:
        click.echo(f"Recorded to {record} (play it with `asciinema play {record}`).")
