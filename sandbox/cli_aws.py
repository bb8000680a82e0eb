"""CLI commands for the serverless part: deploy, fire, events, invoke, and the browsers."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click

from sandbox.aws import browse, package, release
from sandbox.aws.clients import Identity, caller_identity, is_real_aws
from sandbox.aws.deploy import DeployResult, deploy
from sandbox.aws.events import SOURCES, Firer, FireResult
from sandbox.aws.names import Names
from sandbox.aws.release import ReleaseResult, not_released
from sandbox.aws.samples import SAMPLES, sample
from sandbox.aws.smoke import untried
from sandbox.config import Settings
from sandbox.errors import ConfigError
from sandbox.stack import healthy_endpoint, resolve_backend


def aws_endpoint(ctx: click.Context) -> str:
    """The emulator's URL, or a clear error when it is not up."""
    backend = resolve_backend(Settings.from_env(), (ctx.obj or {}).get("backend"))
    return healthy_endpoint(backend, "aws")


def say(note: str) -> None:
    """A note for the person, on stderr (stdout may be JSON)."""
    click.echo(note, err=True)


def emit(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, default=str))


@click.command("deploy")
@click.option("--json", "as_json", is_flag=True, help="Print the resources as JSON.")
@click.option("--watch", is_flag=True, help="Redeploy the code whenever a file changes.")
@click.option(
    "--publish",
    is_flag=True,
    help="Publish a version; the triggers follow alias live, which moves to it only once a "
    "smoke test (one event per source) passes on it.",
)
@click.option("--yes", is_flag=True, help="Deploy to a real AWS account without asking.")
@click.pass_context
def deploy_command(
    ctx: click.Context, as_json: bool, watch: bool, publish: bool, yes: bool
) -> None:
    """Deploy the Lambda processor and wire S3, SQS, SNS, EventBridge, DynamoDB and the API."""
    if watch and publish:
        raise click.UsageError("--watch redeploys $LATEST as you edit; it does not --publish")
    endpoint, source = aws_endpoint(ctx), Settings.from_env().lambda_dir
    names = Names()
    if is_real_aws(endpoint):
        names = names_in(confirm_real_account(endpoint, yes))
    if publish:
        _release(endpoint, source, names, as_json)
        return
    result = deploy(endpoint, source, names, on_wait=say)
    emit(result.to_dict()) if as_json else click.echo(_deploy_table(result))
    if watch:
        _watch(endpoint, source, names)


def _release(endpoint: str, source: Path, names: Names, as_json: bool) -> None:
    result = release.publish(endpoint, source, names, on_wait=say)
    emit(result.to_dict()) if as_json else click.echo(_release_text(result))
    if not result.released:
        raise not_released(result)


def names_in(who: Identity) -> Names:
    """The names in the real account the credentials belong to (ARNs, a unique bucket)."""
    return Names.for_account(who.account, who.region)


def target_names(endpoint: str) -> Names:
    """The names on the target: the emulator's, or those in the caller's real account."""
    return names_in(caller_identity(endpoint)) if is_real_aws(endpoint) else Names()


def confirm_real_account(
    endpoint: str, yes: bool, command: str = "deploy", does: str = "deploys to"
) -> Identity:
    """A real account is billed and shared: name it (STS), and go on only when the person
    says so, here or with --yes. Without a terminal and --yes, refuse before any call."""
    if not yes and not can_ask():
        raise click.UsageError(
            f"{command} would change a real AWS account; run it in a terminal to confirm, "
            "or with --yes"
        )
    who = caller_identity(endpoint)
    click.echo(
        f"This {does} the real AWS account {who.account} ({who.arn}) in region {who.region}.",
        err=True,
    )
    if not yes:
        click.confirm(f"{command.capitalize()} there?", abort=True, err=True)
    return who


def can_ask() -> bool:
    """A person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


def _deploy_table(result: DeployResult) -> str:
    width = max(len(r.kind) for r in result.resources)
    rows = [f"{r.kind:<{width}}  {r.action:<9}  {r.name}  {r.detail}".rstrip()
            for r in result.resources]  # fmt: skip
    return "\n".join([*rows, f"API: {result.stage_url}/events"])


def _release_text(result: ReleaseResult) -> str:
    lines = [_deploy_table(result.deploy)]
    if result.smoke:
        lines.append(f"smoke test of version {result.version} (invoked by qualifier):")
        lines += [f"  {c.source:<12} {'passed' if c.passed else 'FAILED'}  {c.duration_ms:>7} ms  "
                  f"{'' if c.passed else c.detail}".rstrip() for c in result.smoke]  # fmt: skip
        skipped = untried(result.smoke)
        lines += [f"  {', '.join(skipped)}: not tried after the failure"] if skipped else []
    if result.released:
        lines.append(f"live: version {result.live} (was {result.live_before or 'none'})")
    return "\n".join(lines)


def _watch(endpoint: str, source: Path, names: Names) -> None:
    # Ctrl-C and SIGTERM both stop watching, even when started with SIGINT ignored
    # (a background job of a non-interactive shell inherits that).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    click.echo(f"watching {source} (Ctrl-C stops) ...", err=True)
    last = package.fingerprint(source)
    try:
        while True:
            time.sleep(0.5)
            current = package.fingerprint(source)
            if current != last:
                last = current
                result = deploy(endpoint, source, names)
                changed = ", ".join(f"{r.name} {r.action}" for r in result.changed) or "no change"
                click.echo(f"{time.strftime('%H:%M:%S')} redeployed: {changed}", err=True)
    except KeyboardInterrupt:
        click.echo("stopped watching", err=True)


@click.command("fire")
@click.argument("source", type=click.Choice(SOURCES))
@click.option("--data", help="JSON object to send as the event's data.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for the item.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def fire_command(
    ctx: click.Context, source: str, data: str | None, timeout: float, as_json: bool
) -> None:
    """Send a real SOURCE event through the emulator and show what the processor did."""
    payload = _json_object(data, "--data") if data else {}
    endpoint = aws_endpoint(ctx)
    result = Firer(endpoint, target_names(endpoint)).fire(source, payload, timeout)
    emit(result.to_dict()) if as_json else click.echo(_fire_text(result))


def _fire_text(result: FireResult) -> str:
    lines = [f"fired {result.source} event {result.fire_id}",
             "sent:    " + json.dumps(result.sent, default=str)]  # fmt: skip
    invoked = result.hops_ms.get("invoked")
    lines.append(f"lambda:  invoked after {invoked} ms" if invoked is not None else "lambda:  -")
    lines += [f"   | {line}" for line in result.logs]
    lines.append(
        "item:    " + json.dumps(result.item, default=str, indent=2).replace("\n", "\n   ")
    )
    lines.append(f"latency: {result.latency_ms} ms from send to item visible")
    return "\n".join(lines)


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{what} is not valid JSON: {err.msg} at position {err.pos}",
                          'write it like \'{"order_id": "o-1"}\'') from None  # fmt: skip
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be a JSON object", 'write it like \'{"order_id": "o-1"}\'')
    return value


@click.group("events")
def events_group() -> None:
    """Sample events for each source."""


@events_group.command("sample")
@click.argument("source", type=click.Choice(list(SAMPLES)))
@click.argument("kind", required=False)
def sample_command(source: str, kind: str | None) -> None:
    """Print a realistic SOURCE event (KIND: e.g. put/delete for s3, insert/modify/remove)."""
    emit(sample(source, kind, Names()))


@click.command("invoke")
@click.option("--event", "event_file", required=True, help="A JSON event file, or - for stdin.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.pass_context
def invoke_command(ctx: click.Context, event_file: str, as_json: bool) -> None:
    """Invoke the processor directly with an event (e.g. from `sandbox events sample`)."""
    text = sys.stdin.read() if event_file == "-" else _read(event_file)
    endpoint = aws_endpoint(ctx)
    answer = Firer(endpoint, target_names(endpoint)).invoke(_json_object(text, "the event"))
    if as_json:
        emit(answer)
        return
    click.echo("\n".join(answer["log"]))
    click.echo(json.dumps(answer["result"], indent=2, default=str))
    if answer["function_error"]:
        sys.exit(1)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror}", "give a JSON file, or -") from None


@click.group("ddb")
def ddb_group() -> None:
    """Browse DynamoDB."""


@ddb_group.command("scan")
@click.option("--table", default=Names().events_table, show_default=True)
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def ddb_scan_command(ctx: click.Context, table: str, limit: int, as_json: bool) -> None:
    """Items of a table, newest first."""
    items = browse.ddb_scan(aws_endpoint(ctx), table, limit)
    if as_json:
        emit(items)
        return
    for item in items:
        click.echo(json.dumps(item, default=str))
    click.echo(f"({len(items)} items in {table})", err=True)


@click.group("s3")
def s3_group() -> None:
    """Browse S3."""


@s3_group.command("ls")
@click.argument("bucket", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def s3_ls_command(ctx: click.Context, bucket: str | None, as_json: bool) -> None:
    """Buckets, or the objects in BUCKET."""
    rows = browse.s3_list(aws_endpoint(ctx), bucket)
    if as_json:
        emit(rows)
        return
    for row in rows:
        click.echo("  ".join(str(v) for v in row.values()))


@click.group("sqs")
def sqs_group() -> None:
    """Browse SQS."""


@sqs_group.command("depth")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def sqs_depth_command(ctx: click.Context, as_json: bool) -> None:
    """Messages waiting and in flight in every queue (dead-letter queues marked)."""
    rows = browse.sqs_depths(aws_endpoint(ctx))
    if as_json:
        emit(rows)
        return
    for row in rows:
        mark = "  (dead-letter)" if row["dead_letter"] else ""
        click.echo(f"{row['queue']:<30} visible {row['visible']:>4}  in flight "
                   f"{row['in_flight']:>4}{mark}")  # fmt: skip
