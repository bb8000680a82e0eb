"""`sandbox chaos`: fail or slow down AWS API calls on the emulator, through LocalStack's chaos
API on the emulator's own port (served by sandbox.services.chaos).

Every command prints what is in force afterwards: the numbered rules and the latency (with
--json: {"faults": [...], "effects": {"latency": ms}}, the API's own JSON).
"""

from __future__ import annotations

import json
from typing import Any

import click

from sandbox.config import Settings
from sandbox.errors import ConfigError
from sandbox.services.chaos.api import MAX_LATENCY_MS
from sandbox.services.chaos.client import ChaosClient
from sandbox.stack import healthy_endpoint, resolve_backend

COLUMNS = ("#", "service", "operation", "region", "probability", "error")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


def chaos_client(ctx: click.Context) -> ChaosClient:
    """A client for the running emulator, or a clear error when it is not up."""
    backend = resolve_backend(Settings.from_env(), (ctx.obj or {}).get("backend"))
    endpoint = healthy_endpoint(backend, "aws")
    if not endpoint.startswith("http"):
        raise ConfigError(
            "faults can only be injected into the emulator, not into real AWS",
            "use the embedded backend: `sandbox up`",
        )
    return ChaosClient(endpoint)


@click.group("chaos")
def chaos_group() -> None:
    """Make AWS API calls on the emulator fail or slow down (LocalStack's chaos API).

    Rules live in the emulator's memory only: `sandbox down`, `sandbox reset` or a restart of
    the emulator clears them."""


@chaos_group.command("list")
@json_option
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Show the fault rules and the latency in force."""
    client = chaos_client(ctx)
    show(client.faults(), client.effects(), as_json)


@chaos_group.command("add")
@click.argument("service")
@click.option("--operation", help="Only this operation, e.g. PutItem (default: every one).")
@click.option("--region", help="Only calls to this region, e.g. us-east-1 (default: any).")
@click.option(
    "--probability",
    type=click.FloatRange(0, 1),
    help="Share of the matching calls that fail (default: 1, every one).",
)
@click.option("--status", type=click.IntRange(400, 599), help="HTTP status (default: 503).")
@click.option(
    "--code", help="AWS error code, e.g. ThrottlingException (default: ServiceUnavailable)."
)
@json_option
@click.pass_context
def add_command(
    ctx: click.Context,
    service: str,
    operation: str | None,
    region: str | None,
    probability: float | None,
    status: int | None,
    code: str | None,
    as_json: bool,
) -> None:
    """Fail calls to SERVICE (as boto3 names it: dynamodb, sqs, s3, ...).

    Example: sandbox chaos add dynamodb --operation PutItem --probability 0.3 --status 400
    --code ThrottlingException"""
    rule = make_rule(service, operation, region, probability, status, code)
    client = chaos_client(ctx)
    show(client.add_faults([rule]), client.effects(), as_json)


def make_rule(
    service: str,
    operation: str | None,
    region: str | None,
    probability: float | None,
    status: int | None,
    code: str | None,
) -> dict[str, Any]:
    """The API's JSON for a rule: only what was given (the API's defaults fill the rest)."""
    fields = {
        "service": service,
        "operation": operation,
        "region": region,
        "probability": probability,
    }
    rule: dict[str, Any] = {key: value for key, value in fields.items() if value is not None}
    error = {
        key: value for key, value in (("statusCode", status), ("code", code)) if value is not None
    }
    return {**rule, "error": error} if error else rule


@chaos_group.command("remove")
@click.argument("numbers", nargs=-1, required=True, type=click.IntRange(min=1))
@json_option
@click.pass_context
def remove_command(ctx: click.Context, numbers: tuple[int, ...], as_json: bool) -> None:
    """Remove the rules numbered NUMBERS, as `sandbox chaos list` numbers them."""
    client = chaos_client(ctx)
    rules = client.faults()
    missing = [number for number in numbers if number > len(rules)]
    if missing:
        raise ConfigError(
            f"there is no rule {missing[0]}: {len(rules)} in force",
            "`sandbox chaos list` shows them, numbered",
        )
    chosen = [rules[number - 1] for number in sorted(set(numbers))]
    show(client.remove_faults(chosen), client.effects(), as_json)


@chaos_group.command("clear")
@json_option
@click.pass_context
def clear_command(ctx: click.Context, as_json: bool) -> None:
    """Remove every rule and the latency."""
    client = chaos_client(ctx)
    show(client.set_faults([]), client.set_latency(0), as_json)


@chaos_group.command("latency")
@click.argument("milliseconds", type=click.IntRange(0, MAX_LATENCY_MS))
@json_option
@click.pass_context
def latency_command(ctx: click.Context, milliseconds: int, as_json: bool) -> None:
    """Delay every AWS call by MILLISECONDS (0 removes the delay)."""
    client = chaos_client(ctx)
    effects = client.set_latency(milliseconds)
    show(client.faults(), effects, as_json)


def show(faults: list[dict[str, Any]], effects: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"faults": faults, "effects": effects}, indent=2))
        return
    click.echo(rules_table(faults) if faults else "no fault rules: every call goes through")
    click.echo(f"latency: {effects.get('latency', 0)} ms")


def rules_table(faults: list[dict[str, Any]]) -> str:
    rows = [COLUMNS, *(row(number, rule) for number, rule in enumerate(faults, 1))]
    widths = [max(len(cells[index]) for cells in rows) for index in range(len(COLUMNS))]
    lines = (
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        for cells in rows
    )
    return "\n".join(line.rstrip() for line in lines)


def row(number: int, rule: dict[str, Any]) -> tuple[str, ...]:
    error = rule.get("error") or {}
    status, code = error.get("statusCode", 503), error.get("code", "ServiceUnavailable")
    return (
        str(number),
        str(rule.get("service", "-")),
        str(rule.get("operation", "any")),
        str(rule.get("region", "any")),
        f"{rule.get('probability', 1):g}",
        f"{status} {code}",
    )
