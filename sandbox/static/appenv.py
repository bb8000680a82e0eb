"""The app's configuration as the pod would see it: required variables present, names the
app reads, and secrets kept in Secrets."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Sequence
from difflib import get_close_matches
from typing import Any

from sandbox.static.app_facts import KNOWN_ENV, REQUIRED_ENV
from sandbox.static.findings import Finding, Severity
from sandbox.static.probes import app_containers
from sandbox.static.resources import Resource, as_dict, as_list
from sandbox.static.secrets import looks_secret

LOOPBACK = ("127.", "localhost", "[::1]")


def check_app_env(resources: Sequence[Resource]) -> Iterator[Finding]:
    for template, (path, container) in app_containers(resources):
        owner = template.owner
        names = dict(_env_names(resources, owner.namespace, container))
        yield from _required(owner, path, names)
        yield from _unknown(owner, path, container, names)
        yield from _bind(owner, path, container)
        yield from _plain_env(owner, path, container)
    yield from _config_maps(resources)
    yield from _secrets(resources)


def _env_names(
    resources: Sequence[Resource], namespace: str | None, container: dict[str, Any]
) -> Iterator[tuple[str, str]]:
    """(variable, where it comes from) for env and envFrom (ConfigMap and Secret keys)."""
    for variable in as_list(container.get("env")):
        if isinstance(as_dict(variable).get("name"), str):
            yield variable["name"], "env"
    for source in (as_dict(s) for s in as_list(container.get("envFrom"))):
        for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            name = as_dict(source.get(field)).get("name")
            for resource in resources:
                if (resource.kind, resource.name, resource.namespace) == (kind, name, namespace):
                    yield from _keys(resource, str(source.get("prefix", "")))


def _keys(resource: Resource, prefix: str) -> Iterator[tuple[str, str]]:
    for field in ("data", "stringData"):
        for key in as_dict(resource.body.get(field)):
            yield f"{prefix}{key}", f"{resource.ref} {field}.{key}"


def _required(owner: Resource, path: tuple[Any, ...], names: dict[str, str]) -> Iterator[Finding]:
    for name in REQUIRED_ENV:
        if name not in names:
            message = (
                f"the container never gets {name}, which the app requires (it exits at start): "
                "add it to the Secret the container loads with envFrom"
            )
            yield owner.finding("K8S-APP-ENV", [*path, "envFrom"], message)


def _unknown(
    owner: Resource, path: tuple[Any, ...], container: dict[str, Any], names: dict[str, str]
) -> Iterator[Finding]:
    for name, source in sorted(names.items()):
        if name not in KNOWN_ENV:
            close = get_close_matches(name, sorted(KNOWN_ENV), n=1)
            fix = f"did you mean {close[0]}?" if close else "remove it or check the app's settings"
            message = f"the app never reads {name} (from {source}): {fix}"
            yield owner.finding("K8S-APP-ENV-UNKNOWN", [*path, "env"], message, Severity.WARNING)


def _bind(owner: Resource, path: tuple[Any, ...], container: dict[str, Any]) -> Iterator[Finding]:
    for index, variable in enumerate(as_list(container.get("env"))):
        variable = as_dict(variable)
        value = variable.get("value")
        if variable.get("name") == "BIND" and isinstance(value, str) and value.startswith(LOOPBACK):
            message = (
                f"BIND={value} listens on the pod's loopback only: the kubelet's probes and the "
                "Service reach the pod IP, so nothing gets through: use 0.0.0.0:8080"
            )
            yield owner.finding("K8S-BIND", [*path, "env", index, "value"], message)


def _plain_env(
    owner: Resource, path: tuple[Any, ...], container: dict[str, Any]
) -> Iterator[Finding]:
    for index, variable in enumerate(as_list(container.get("env"))):
        variable = as_dict(variable)
        name, value = str(variable.get("name", "")), variable.get("value")
        if value is not None and looks_secret(name, value):
            message = (
                f"{name} holds a secret in plain text in the pod spec: move it to a Secret and use "
                "envFrom secretRef or valueFrom.secretKeyRef"
            )
            yield owner.finding("K8S-PLAINTEXT-SECRET", [*path, "env", index, "value"], message)


def _config_maps(resources: Sequence[Resource]) -> Iterator[Finding]:
    for config in (r for r in resources if r.kind == "ConfigMap"):
        for key, value in as_dict(config.body.get("data")).items():
            if looks_secret(str(key), value):
                message = (
                    f"{key} looks like a secret (a password or token), but ConfigMaps are readable "
                    "by anyone who can read the namespace: move it to a Secret"
                )
                yield config.finding("K8S-PLAINTEXT-SECRET", ["data", key], message)


def _secrets(resources: Sequence[Resource]) -> Iterator[Finding]:
    for secret in (r for r in resources if r.kind == "Secret"):
        for key, value in as_dict(secret.body.get("data")).items():
            if isinstance(value, str) and not _is_base64(value):
                message = (
                    f"data.{key} is not base64, so the API server rejects the Secret: put the "
                    "plain text under stringData instead, or encode it with base64"
                )
                yield secret.finding("K8S-SECRET-DATA", ["data", key], message)


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
