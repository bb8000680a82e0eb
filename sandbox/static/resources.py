"""Kubernetes objects read from documents, and safe ways to walk them.

Every walker tolerates wrong types (a string where a list belongs): the schema check reports
those, and the other checks must not crash on them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.static.findings import Finding, Severity
from sandbox.static.yaml_docs import Document
from sandbox.yaml_nodes import Key

CLUSTER_SCOPED = frozenset(
    {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
     "CustomResourceDefinition", "IngressClass", "PriorityClass", "Node",
     "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService"}
)  # fmt: skip
# Where each workload kind keeps its pod template.
TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


@dataclass(frozen=True)
class Resource:
    """A document that names its apiVersion, kind and metadata.name."""

    doc: Document
    api_version: str
    kind: str
    name: str
    namespace: str | None  # None: kubectl's current namespace (or cluster-scoped)

    @property
    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = self.doc.body
        return body

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    def finding(
        self, rule: str, path: Sequence[Key], message: str, severity: Severity = Severity.ERROR
    ) -> Finding:
        line = self.doc.line(path)
        return Finding(rule, severity, self.doc.file, self.ref, fmt_path(path), message, line)


@dataclass(frozen=True)
class PodTemplate:
    """The pod template of a workload, with the path that leads to it."""

    owner: Resource
    path: tuple[Key, ...]
    labels: dict[str, Any]
    spec: dict[str, Any]


def fmt_path(path: Sequence[Key]) -> str:
    """("spec", "containers", 0, "image") -> spec.containers[0].image"""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def dig(value: Any, *path: Key) -> Any:
    """value[path[0]][path[1]]... or None when any step is missing or of the wrong type."""
    for key in path:
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and key < len(value) else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value


def pod_templates(resources: Sequence[Resource]) -> Iterator[PodTemplate]:
    for resource in resources:
        path = TEMPLATE_PATHS.get(resource.kind)
        template = as_dict(dig(resource.body, *path)) if path else {}
        if path and template:
            labels = as_dict(dig(template, "metadata", "labels"))
            yield PodTemplate(resource, path, labels, as_dict(template.get("spec")))


def containers(
    template: PodTemplate, init: bool = True
) -> Iterator[tuple[tuple[Key, ...], dict[str, Any]]]:
    """(path, container) for every container, init containers too unless `init` is False."""
    for field in ("containers", "initContainers") if init else ("containers",):
        for index, container in enumerate(as_list(template.spec.get(field))):
            if isinstance(container, dict):
                yield (*template.path, "spec", field, index), container


def in_namespace(resources: Sequence[Resource], kind: str, namespace: str | None) -> set[str]:
    """Names of the `kind` objects in `namespace`."""
    return {r.name for r in resources if r.kind == kind and r.namespace == namespace}
