"""`sandbox lab new` and `sandbox lab kinds`: for instructors who write labs and checks.

Added to the `lab` group (sandbox/cli_labs.py) by `extend(lab_group)`, its last line.
"""

from __future__ import annotations

import json

import click

from sandbox.labs import loader, reference
from sandbox.labs.checks import builtin_registry
from sandbox.labs.checks.base import Registry
from sandbox.labs.scaffold import new_lab


@click.command("new")
@click.argument("lab_id")
@click.option("--title", help="The lab's title (default: from the id's slug).")
@click.option("--json", "as_json", is_flag=True)
def new_command(lab_id: str, title: str | None, as_json: bool) -> None:
    """Scaffold a lab LAB_ID (like 04-message-queues) in the labs folder: lab.yaml, steps/,
    starter/, solution/ and checks.py with one custom check kind."""
    made = new_lab(lab_id, title)
    if as_json:
        click.echo(json.dumps(made.to_dict(), indent=2))
        return
    click.echo(f"Created {made.folder}/: {', '.join(made.files)}")
    click.echo("Next:")
    click.echo(
        f"  1. Fill in the TODO in {made.folder / made.todo.split(':')[0]} "
        f"(line {made.todo.split(':')[1]}): the reference solution."
    )
    click.echo(
        f"  2. sandbox lab validate {lab_id}   (the solution passes every check, the "
        "starter fails the marked ones)"
    )
    click.echo(
        "  3. Make it yours: the steps, starter/, solution/, the checks in lab.yaml "
        "(`sandbox lab kinds` lists every kind) and checks.py."
    )


@click.command("kinds")
@click.option("--json", "as_json", is_flag=True, help="Print the reference as JSON.")
@click.option("--markdown", is_flag=True, help="Print it as Markdown (docs/labs.md).")
@click.option("--lab", "lab_id", help="Also list this lab's own kinds (its checks.py).")
def kinds_command(as_json: bool, markdown: bool, lab_id: str | None) -> None:
    """Every check kind with its fields, types, defaults and an example, from the code."""
    if as_json and markdown:
        raise click.UsageError("give --json or --markdown, not both")
    registry = _registry(lab_id)
    if as_json:
        click.echo(reference.as_json(registry))
    elif markdown:
        click.echo(reference.as_markdown(registry), nl=False)
    else:
        click.echo(reference.as_text(registry))


def _registry(lab_id: str | None) -> Registry:
    return loader.load(lab_id)[1] if lab_id else builtin_registry()


COMMANDS = [new_command, kinds_command]


def extend(group: click.Group) -> None:
    """Add these commands to the `lab` group."""
    for command in COMMANDS:
        group.add_command(command)
