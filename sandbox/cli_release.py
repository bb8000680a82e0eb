"""CLI commands for versioned deploys: `release status` and `rollback`.
(`sandbox deploy --publish` makes a release; it lives with deploy in cli_aws.py.)"""

from __future__ import annotations

import click

from sandbox.aws.clients import is_real_aws, translated
from sandbox.aws.names import LIVE_ALIAS, Names
from sandbox.aws.release import rollback
from sandbox.aws.release_status import ReleaseStatus, Triggers, release_status
from sandbox.cli_aws import (
    aws_endpoint,
    confirm_real_account,
    emit,
    names_in,
    say,
    target_names,
)


@click.group("release")
def release_group() -> None:
    """Published versions of the processor and its `live` alias."""


@release_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status_command(ctx: click.Context, as_json: bool) -> None:
    """The versions, their code hashes, where `live` points and what each trigger runs."""
    endpoint = aws_endpoint(ctx)
    status = release_status(endpoint, target_names(endpoint))
    emit(status.to_dict()) if as_json else click.echo(_status_text(status))


def _status_text(status: ReleaseStatus) -> str:
    lines = [f"{'version':<8} {'code sha256 (as Lambda reports it)':<46} published"]
    for v in status.versions:
        mark = f"  <- {LIVE_ALIAS}" if v.live else ""
        lines.append(f"{v.version:<8} {v.code_sha256:<46} {v.last_modified}{mark}")
    lines.append(f"{'$LATEST':<8} {status.latest_code_sha256:<46} (what a plain deploy runs)")
    live = f"version {status.live}" if status.live else "none (run `sandbox deploy --publish`)"
    lines.append(f"{LIVE_ALIAS}: {live}")
    lines.append("triggers: " + ", ".join(f"{s} -> {t}" for s, t in status.triggers.items()))
    return "\n".join(lines)


@click.command("rollback")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--yes", is_flag=True, help="Roll back in a real AWS account without asking.")
@click.pass_context
def rollback_command(ctx: click.Context, as_json: bool, yes: bool) -> None:
    """Move the `live` alias back to the version that was live before."""
    endpoint = aws_endpoint(ctx)
    names = Names()
    if is_real_aws(endpoint):
        who = confirm_real_account(endpoint, yes, "roll back", "moves the live alias in")
        names = names_in(who)
    moved = rollback(endpoint, names, on_wait=say)
    elsewhere = _not_on_live(endpoint, names)
    if as_json:
        emit({**moved.to_dict(), "triggers_not_on_live": elsewhere})
    else:
        click.echo(f"{LIVE_ALIAS}: version {moved.live} (was {moved.rolled_back_from})")
    if elsewhere:
        click.echo(
            f"note: {', '.join(elsewhere)} do not follow {LIVE_ALIAS} (the last deploy was "
            "without --publish); `sandbox deploy --publish` puts them back on it",
            err=True,
        )


def _not_on_live(endpoint: str, names: Names) -> list[str]:
    """The sources whose trigger does not follow `live`, so a rollback does not reach them."""
    with translated("read what the triggers run", endpoint):
        targets = Triggers(endpoint, names).targets()
    return [source for source, target in targets.items() if target != LIVE_ALIAS]
