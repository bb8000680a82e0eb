"""Whole-set checks: names the API server accepts, no duplicates, namespaces, Ingress TLS."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from sandbox.static.findings import Finding, Severity
from sandbox.static.resources import (
    CLUSTER_SCOPED,
    Resource,
    as_dict,
    as_list,
    containers,
    dig,
    pod_templates,
)

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
PORT_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
BUILT_IN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def check_hygiene(resources: Sequence[Resource]) -> Iterator[Finding]:
    yield from duplicates(resources)
    yield from namespaces(resources)
    yield from ingress_tls(resources)
    for resource in resources:
        yield from _metadata_names(resource)
    for template in pod_templates(resources):
        yield from _labels(template.owner, [*template.path, "metadata", "labels"], template.labels)
        for path, container in containers(template):
            yield from _container_names(template.owner, path, container)


def duplicates(resources: Sequence[Resource]) -> Iterator[Finding]:
    counts = Counter((r.kind, r.namespace, r.name) for r in resources)
    reported: set[tuple[str, str | None, str]] = set()
    for resource in resources:
        key = (resource.kind, resource.namespace, resource.name)
        if counts[key] > 1 and key not in reported:
            reported.add(key)
            message = (
                f"{resource.ref} is defined {counts[key]} times: the last one silently wins "
                "(kustomize refuses): keep one"
            )
            yield resource.finding("K8S-DUPLICATE", ["metadata", "name"], message)


def namespaces(resources: Sequence[Resource]) -> Iterator[Finding]:
    created = {r.name for r in resources if r.kind == "Namespace"}
    for resource in resources:
        if resource.kind in CLUSTER_SCOPED:
            continue
        if resource.namespace is None and created:
            message = (
                "no metadata.namespace, so it lands in kubectl's current namespace, not in "
                f"{sorted(created)[0]}: set metadata.namespace"
            )
            yield resource.finding("K8S-NAMESPACE", ["metadata"], message, Severity.WARNING)
        elif resource.namespace and resource.namespace not in created | BUILT_IN_NAMESPACES:
            message = (
                f"namespace {resource.namespace} is not created by these manifests, so kubectl "
                "apply fails (namespaces not found): add a Namespace or fix the name"
            )
            yield resource.finding(
                "K8S-NAMESPACE", ["metadata", "namespace"], message, Severity.WARNING
            )


def ingress_tls(resources: Sequence[Resource]) -> Iterator[Finding]:
    for ingress in (r for r in resources if r.kind == "Ingress"):
        tls = as_list(dig(ingress.body, "spec", "tls"))
        covered = {h for entry in tls for h in as_list(as_dict(entry).get("hosts"))}
        for index, rule in enumerate(as_list(dig(ingress.body, "spec", "rules"))):
            host = as_dict(rule).get("host")
            if host not in covered:
                message = (
                    f"host {host or '(any)'} is served over plain HTTP: list it under "
                    "spec.tls[].hosts with a secretName holding its certificate"
                )
                yield ingress.finding(
                    "K8S-INGRESS-TLS", ["spec", "rules", index, "host"], message, Severity.WARNING
                )


def _metadata_names(resource: Resource) -> Iterator[Finding]:
    pattern, rule_text = _name_rule(resource.kind)
    if not _valid(pattern, resource.name, 63 if pattern is not DNS_SUBDOMAIN else 253):
        message = (
            f"name {resource.name!r} is not valid for a {resource.kind} ({rule_text}): the API "
            "server rejects it"
        )
        yield resource.finding("K8S-NAME", ["metadata", "name"], message)
    yield from _labels(
        resource, ["metadata", "labels"], as_dict(dig(resource.body, "metadata", "labels"))
    )


def _name_rule(kind: str) -> tuple[re.Pattern[str], str]:
    if kind == "Service":
        return DNS_1035, "lowercase letters, digits and '-', starting with a letter, at most 63"
    if kind == "Namespace":
        return DNS_LABEL, "lowercase letters, digits and '-', at most 63"
    return DNS_SUBDOMAIN, "lowercase letters, digits, '-' and '.', at most 253"


def _valid(pattern: re.Pattern[str], value: Any, limit: int) -> bool:
    return isinstance(value, str) and len(value) <= limit and bool(pattern.fullmatch(value))


def _labels(resource: Resource, path: list[Any], labels: dict[str, Any]) -> Iterator[Finding]:
    for key, value in labels.items():
        name = str(key).rpartition("/")[2]
        if not _valid(LABEL_NAME, name, 63):
            message = (
                f"label key {key!r} is not valid (letters, digits, '-', '_', '.', at most 63 after "
                "the prefix): rename it"
            )
            yield resource.finding("K8S-NAME", [*path, key], message)
        elif isinstance(value, str) and not _valid(LABEL_VALUE, value, 63):
            message = (
                f"label value {value!r} is not valid (letters, digits, '-', '_', '.', at most 63): "
                "change it"
            )
            yield resource.finding("K8S-NAME", [*path, key], message)


def _container_names(
    resource: Resource, path: tuple[Any, ...], container: dict[str, Any]
) -> Iterator[Finding]:
    if not _valid(DNS_LABEL, container.get("name"), 63):
        message = (
            f"container name {container.get('name')!r} is not valid: use lowercase letters, digits "
            "and '-'"
        )
        yield resource.finding("K8S-NAME", [*path, "name"], message)
    for index, port in enumerate(as_list(container.get("ports"))):
        name = as_dict(port).get("name")
        if name is not None and not _port_name(name):
            message = (
                f"port name {name!r} is not valid: at most 15 lowercase letters, digits and '-', "
                "with a letter (e.g. http)"
            )
            yield resource.finding("K8S-NAME", [*path, "ports", index, "name"], message)


def _port_name(name: Any) -> bool:
    return _valid(PORT_NAME, name, 15) and "--" not in name and any(c.isalpha() for c in name)
