"""`sandbox classroom init LAB`: a learner repository graded by GitHub Classroom."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sandbox.cli_labs import own_lab
from sandbox.labs import classroom


@click.group("classroom")
def classroom_group() -> None:
    """GitHub Classroom: each learner's push graded on GitHub's runners."""


@classroom_group.command("init")
@click.argument("lab_id")
@click.option(
    "--dir",
    "repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The learner repository (a copy of the lab's starter).",
)
@click.option(
    "--sandbox-repo",
    metavar="OWNER/NAME",
    help="The sandbox's GitHub repository (default: this checkout's origin).",
)
@click.option(
    "--sandbox-ref",
    metavar="REF",
    help="The sandbox's branch, tag or commit (default: this checkout's commit).",
)
@click.option("--force", is_flag=True, help="Replace an existing, different workflow.")
@click.option("--json", "as_json", is_flag=True)
def init_command(
    lab_id: str,
    repo: Path,
    sandbox_repo: str | None,
    sandbox_ref: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Write REPO/.github/workflows/classroom.yml: on every push, install the sandbox, start
    the embedded stack, grade LAB_ID and report the points to GitHub Classroom."""
    lab, _ = own_lab(lab_id)
    source = classroom.source(sandbox_repo, sandbox_ref)
    target = classroom.write(repo, classroom.workflow(lab, source), force)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "workflow": str(target),
                    "lab": lab.id,
                    "sandbox_repository": source.repository,
                    "sandbox_ref": source.ref,
                }
            )
        )
        return
    click.echo(
        f"Wrote {target}: GitHub Classroom grades {lab.id} on every push, with the "
        f"sandbox from {source.repository}@{source.ref}."
    )
    click.echo(
        f"The repository should hold the lab's starter (`sandbox lab start {lab.id}` "
        "copies it into workspace/); mark it as the assignment's template."
    )
