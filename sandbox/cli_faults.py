"""`sandbox fault ...`: network faults through the faults server (Toxiproxy's HTTP API).

It talks to http://127.0.0.1:${SANDBOX_FAULTS_PORT:-8474}; any Toxiproxy client can talk
to the same server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from sandbox.config import Settings
from sandbox.faults.client import FaultsClient
from sandbox.faults.schema import ATTRIBUTES, Attributes

HTTP_COUNTS = (("requests_aborted", "requests aborted"), ("requests_delayed", "requests delayed"))
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
STREAMS = {
    "up": "upstream",
    "down": "downstream",
    "upstream": "upstream",
    "downstream": "downstream",
}


def _client() -> FaultsClient:
    return FaultsClient(f"http://127.0.0.1:{Settings.from_env().ports['faults']}")


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value))


def _toxic_types_help() -> str:
    def fields(model: type[Attributes]) -> str:
        return ", ".join(f"{name} ({f.description})" for name, f in model.model_fields.items())

    return "; ".join(f"{kind}: {fields(model)}" for kind, model in ATTRIBUTES.items())


@click.group("fault", context_settings={"help_option_names": ["-h", "--help"]})
def fault_group() -> None:
    """Inject network faults (latency, timeouts, resets, HTTP errors) between services.

    Proxies sit between a client and a server; toxics on a proxy change the traffic.
    The faults server speaks Toxiproxy's HTTP API, on 127.0.0.1:8474 unless
    SANDBOX_FAULTS_PORT says otherwise."""


@fault_group.command("list")
@JSON_OPTION
def list_command(as_json: bool) -> None:
    """Show the proxies, their toxics and their counters."""
    proxies = _client().proxies()
    if as_json:
        _echo_json(proxies)
        return
    if not proxies:
        click.echo(
            "No proxies. Create one with `sandbox fault proxy add NAME "
            "--listen 127.0.0.1:PORT --upstream HOST:PORT`."
        )
        return
    for proxy in proxies.values():
        click.echo(_proxy_line(proxy))
        for toxic in proxy.get("toxics", []):
            click.echo(f"  {_toxic_line(toxic)}")


def _proxy_line(proxy: Mapping[str, Any]) -> str:
    stats = proxy.get("stats", {})
    state = "enabled" if proxy["enabled"] else "DISABLED"
    counts = [
        f"{stats.get('connections_active', 0)} open, "
        f"{stats.get('connections_total', 0)} total connections",
        f"{stats.get('bytes_upstream', 0)} bytes up, {stats.get('bytes_downstream', 0)} down",
    ]
    counts += [f"{stats[key]} {label}" for key, label in HTTP_COUNTS if stats.get(key)]
    return (
        f"{proxy['name']}: {proxy['listen']} -> {proxy['upstream']} ({state}; {'; '.join(counts)})"
    )


def _toxic_line(toxic: Mapping[str, Any]) -> str:
    attributes = " ".join(f"{key}={value}" for key, value in toxic["attributes"].items())
    return (
        f"{toxic['name']}: {toxic['type']} on {toxic['stream']}, "
        f"toxicity {toxic['toxicity']:g}, {attributes}"
    )


@fault_group.command("add")
@click.argument("proxy")
@click.argument("toxic_type", metavar="TYPE", type=click.Choice(list(ATTRIBUTES)))
@click.option(
    "--stream",
    type=click.Choice(list(STREAMS)),
    help="up (client -> server) or down (server -> client, the default; HTTP types: up).",
)
@click.option(
    "--toxicity", type=click.FloatRange(0, 1), help="Share of connections affected (1.0)."
)
@click.option(
    "--attr",
    "attrs",
    multiple=True,
    metavar="KEY=VALUE",
    help="An attribute of the toxic; repeat for several. By type: " + _toxic_types_help(),
)
@click.option("--name", help="The toxic's name (default: TYPE_STREAM).")
@JSON_OPTION
def add_command(
    proxy: str,
    toxic_type: str,
    stream: str | None,
    toxicity: float | None,
    attrs: tuple[str, ...],
    name: str | None,
    as_json: bool,
) -> None:
    """Add a toxic of TYPE to PROXY.

    Example: sandbox fault add redis latency --attr latency=200 --attr jitter=50"""
    body: dict[str, Any] = {"type": toxic_type, "attributes": _parse_attrs(attrs)}
    optional = {"stream": STREAMS.get(stream or ""), "toxicity": toxicity, "name": name}
    body.update({key: value for key, value in optional.items() if value is not None})
    toxic = _client().add_toxic(proxy, body)
    if as_json:
        _echo_json(toxic)
        return
    click.echo(f"Added to proxy {proxy!r}: {_toxic_line(toxic)}")


def _parse_attrs(pairs: tuple[str, ...]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(
                f"{pair!r} is not KEY=VALUE (e.g. latency=200)", param_hint="--attr"
            )
        attributes[key.strip()] = _attr_value(raw.strip())
    return attributes


def _attr_value(raw: str) -> Any:
    """A number when it reads as one (the API wants JSON numbers), else the text."""
    for parse in (int, float):
        try:
            return parse(raw)
        except ValueError:
            continue
    return raw


@fault_group.command("remove")
@click.argument("proxy")
@click.argument("toxic")
@JSON_OPTION
def remove_command(proxy: str, toxic: str, as_json: bool) -> None:
    """Remove TOXIC from PROXY (`sandbox fault list` shows their names)."""
    _client().remove_toxic(proxy, toxic)
    if as_json:
        _echo_json({"proxy": proxy, "removed": toxic})
    else:
        click.echo(f"Removed toxic {toxic!r} from proxy {proxy!r}.")


@fault_group.command("reset")
@JSON_OPTION
def reset_command(as_json: bool) -> None:
    """Remove every toxic and enable every proxy again; the proxies stay."""
    _client().reset()
    if as_json:
        _echo_json({"reset": True})
    else:
        click.echo("Reset: no toxics left, every proxy enabled.")


@fault_group.group("proxy")
def proxy_group() -> None:
    """Create, remove, disable or enable proxies (a disabled proxy refuses connections)."""


@proxy_group.command("add")
@click.argument("name")
@click.option(
    "--listen", required=True, metavar="HOST:PORT", help="Where clients connect (loopback)."
)
@click.option("--upstream", required=True, metavar="HOST:PORT", help="The real server.")
@JSON_OPTION
def proxy_add(name: str, listen: str, upstream: str, as_json: bool) -> None:
    """Create proxy NAME: clients connect to --listen, which forwards to --upstream."""
    proxy = _client().create_proxy(name, listen, upstream)
    if as_json:
        _echo_json(proxy)
    else:
        click.echo(f"Created proxy {name!r}: {proxy['listen']} -> {proxy['upstream']}.")


@proxy_group.command("remove")
@click.argument("name")
@JSON_OPTION
def proxy_remove(name: str, as_json: bool) -> None:
    """Delete proxy NAME and drop its connections."""
    _client().delete_proxy(name)
    if as_json:
        _echo_json({"removed": name})
    else:
        click.echo(f"Removed proxy {name!r}.")


@proxy_group.command("disable")
@click.argument("name")
@JSON_OPTION
def proxy_disable(name: str, as_json: bool) -> None:
    """Take proxy NAME down: it stops listening and drops its connections."""
    _set_enabled(name, False, as_json)


@proxy_group.command("enable")
@click.argument("name")
@JSON_OPTION
def proxy_enable(name: str, as_json: bool) -> None:
    """Bring proxy NAME back up."""
    _set_enabled(name, True, as_json)


def _set_enabled(name: str, enabled: bool, as_json: bool) -> None:
    proxy = _client().update_proxy(name, enabled=enabled)
    if as_json:
        _echo_json(proxy)
    else:
        click.echo(f"Proxy {name!r} {'enabled' if enabled else 'disabled'}.")
