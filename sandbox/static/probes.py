"""Probes and ports against what the app really serves (app_facts.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sandbox.static.app_facts import APP_PORT, PROBE_PATHS, SERVED_PATHS
from sandbox.static.findings import Finding, Severity
from sandbox.static.resources import PodTemplate, Resource, as_dict, as_list, containers
from sandbox.static.resources import pod_templates as all_templates

# Paths fit for each probe; anything else the app serves gets a warning, not an error.
FIT = {
    "livenessProbe": {"/health/live", "/health"},
    "readinessProbe": {"/ready"},
    "startupProbe": {"/health", "/health/live", "/ready"},
}
WHY = {
    "livenessProbe": "a database or cache outage would make the kubelet restart every pod",
    "readinessProbe": "pods would get traffic while their database or cache is down",
    "startupProbe": "it does not say the app has started",
}
Container = tuple[tuple[Any, ...], dict[str, Any]]


def app_containers(resources: Sequence[Resource]) -> Iterator[tuple[PodTemplate, Container]]:
    """The containers the app checks apply to: those of Deployments (the app's workload)."""
    for template in all_templates(resources):
        if template.owner.kind == "Deployment":
            for item in containers(template, init=False):
                yield template, item


def check_probes(resources: Sequence[Resource]) -> Iterator[Finding]:
    for template, (path, container) in app_containers(resources):
        owner = template.owner
        port = listening_port(container)
        yield from _app_port(owner, path, container, port)
        for probe in PROBE_PATHS:
            yield from _probe(owner, [*path, probe], container, probe, port)


def listening_port(container: dict[str, Any]) -> int:
    """The port the app binds: BIND from the container's env when set literally, else 8080."""
    for variable in as_list(container.get("env")):
        variable = as_dict(variable)
        if variable.get("name") == "BIND" and isinstance(variable.get("value"), str):
            port = variable["value"].rpartition(":")[2]
            return int(port) if port.isdigit() else APP_PORT
    return APP_PORT


def _app_port(
    owner: Resource, path: tuple[Any, ...], container: dict[str, Any], port: int
) -> Iterator[Finding]:
    declared = [as_dict(p).get("containerPort") for p in as_list(container.get("ports"))]
    if declared and port not in declared:
        message = (
            f"the app listens on port {port} (BIND=0.0.0.0:{port} in the image), but the "
            f"container declares {declared}: set containerPort: {port} (named http)"
        )
        yield owner.finding("K8S-APP-PORT", [*path, "ports"], message)


def _probe(
    owner: Resource, path: list[Any], container: dict[str, Any], probe: str, port: int
) -> Iterator[Finding]:
    spec = as_dict(container.get(probe))
    if not spec:
        fix = f"add a {probe} with httpGet path {PROBE_PATHS[probe]} on port http"
        yield owner.finding("K8S-PROBE-MISSING", path[:-1], f"no {probe}: {fix}")
        return
    action = next((a for a in ("httpGet", "tcpSocket", "grpc") if a in spec), None)
    if action in ("httpGet", "tcpSocket"):
        target = as_dict(spec.get(action)).get("port")
        yield from _probe_port(owner, [*path, action, "port"], container, target, port)
    if action == "httpGet":
        yield from _probe_path(owner, [*path, "httpGet", "path"], probe, spec["httpGet"])


def _probe_port(
    owner: Resource, path: list[Any], container: dict[str, Any], target: Any, port: int
) -> Iterator[Finding]:
    names = {
        as_dict(p).get("name"): as_dict(p).get("containerPort")
        for p in as_list(container.get("ports"))
    }
    if isinstance(target, str):
        if target not in names:
            message = (
                f"port `{target}` names no containerPort of this container: use `http` and declare "
                "it in ports"
            )
            yield owner.finding("K8S-PROBE-PORT", path, message)
            return
        target = names[target]
    if isinstance(target, int) and target != port:
        message = (
            f"the probe calls port {target}, but the app listens on {port}: use port http ({port})"
        )
        yield owner.finding("K8S-PROBE-PORT", path, message)


def _probe_path(owner: Resource, path: list[Any], probe: str, action: Any) -> Iterator[Finding]:
    served = str(as_dict(action).get("path", "/")).split("?")[0]
    best = PROBE_PATHS[probe]
    if served not in SERVED_PATHS:
        message = (
            f"the app does not serve {served} (it answers 404, so the probe always fails): "
            f"use {best}"
        )
        yield owner.finding("K8S-PROBE-PATH", path, message)
    elif served not in FIT[probe]:
        message = f"{served} is the wrong endpoint for a {probe}: {WHY[probe]}; use {best}"
        yield owner.finding("K8S-PROBE-ROLE", path, message, Severity.WARNING)
