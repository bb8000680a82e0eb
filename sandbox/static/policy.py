"""Policy checks the course teaches: resources, a locked-down securityContext, pinned images,
and a rollout that a node drain cannot block."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from sandbox.static.app_facts import WRITABLE_DIR
from sandbox.static.findings import Finding, Severity
from sandbox.static.resources import (
    PodTemplate,
    Resource,
    as_dict,
    as_list,
    containers,
    dig,
    pod_templates,
)
from sandbox.static.selectors import matches

Path = tuple[Any, ...]


def check_policy(resources: Sequence[Resource]) -> Iterator[Finding]:
    for template in pod_templates(resources):
        for path, container in containers(template):
            yield from container_policy(template, path, container)
        yield from anti_affinity(resources, template)
    yield from disruption_budgets(resources)


def container_policy(
    template: PodTemplate, path: Path, container: dict[str, Any]
) -> Iterator[Finding]:
    yield from _resources(template.owner, path, container)
    yield from _image(template.owner, path, container)
    yield from _non_root(template, path, container)
    yield from _locked_down(template.owner, path, container)
    yield from _writable_tmp(template.owner, path, container)


def _resources(owner: Resource, path: Path, container: dict[str, Any]) -> Iterator[Finding]:
    for kind in ("requests", "limits"):
        values = as_dict(dig(container, "resources", kind))
        missing = [name for name in ("cpu", "memory") if name not in values]
        if missing:
            message = (
                f"resources.{kind} has no {' and '.join(missing)}: set both cpu and memory "
                "(requests let the scheduler and the HPA work; limits stop a runaway pod)"
            )
            yield owner.finding("K8S-RESOURCES", [*path, "resources", kind], message)


def image_problem(image: str) -> str:
    """Why `image` is not pinned, or "" when it has a version tag or a digest."""
    if "@" in image:
        return ""
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return "has no tag, so it means :latest"
    return "uses :latest" if name.endswith(":latest") else ""


def _image(owner: Resource, path: Path, container: dict[str, Any]) -> Iterator[Finding]:
    image = container.get("image")
    problem = image_problem(image) if isinstance(image, str) else ""
    if problem:
        message = (
            f"image {image} {problem}, which changes under you and makes rollbacks guess: "
            "pin a version tag such as :1.0.0 (or a @sha256 digest)"
        )
        yield owner.finding("K8S-LATEST-TAG", [*path, "image"], message)


def _effective(template: PodTemplate, container: dict[str, Any], key: str) -> Any:
    """A container's securityContext field, falling back to the pod's."""
    own = as_dict(container.get("securityContext"))
    return own[key] if key in own else as_dict(template.spec.get("securityContext")).get(key)


def _non_root(template: PodTemplate, path: Path, container: dict[str, Any]) -> Iterator[Finding]:
    where = [*path, "securityContext"]
    if _effective(template, container, "runAsUser") == 0:
        message = (
            "runAsUser: 0 runs the container as root: remove it or use 10001 (the image's user)"
        )
        yield template.owner.finding("K8S-RUN-AS-NON-ROOT", [*where, "runAsUser"], message)
    elif _effective(template, container, "runAsNonRoot") is not True:
        message = (
            "runAsNonRoot is not true: set securityContext.runAsNonRoot: true (pod or container)"
        )
        yield template.owner.finding("K8S-RUN-AS-NON-ROOT", where, message)


def _locked_down(owner: Resource, path: Path, container: dict[str, Any]) -> Iterator[Finding]:
    context = as_dict(container.get("securityContext"))
    where = [*path, "securityContext"]
    if context.get("privileged") is True:
        message = "privileged: true gives the container the node's devices: remove it"
        yield owner.finding("K8S-PRIVILEGED", [*where, "privileged"], message)
    if context.get("allowPrivilegeEscalation") is not False:
        message = (
            "allowPrivilegeEscalation is not false: set it to false so setuid binaries cannot "
            "gain root"
        )
        yield owner.finding("K8S-PRIVILEGE-ESCALATION", where, message)
    if context.get("readOnlyRootFilesystem") is not True:
        message = (
            "readOnlyRootFilesystem is not true: set it, and mount an emptyDir at /tmp for the "
            "app's files"
        )
        yield owner.finding("K8S-READONLY-ROOT", where, message)
    yield from _capabilities(owner, where, as_dict(context.get("capabilities")))


def _capabilities(
    owner: Resource, where: list[Any], capabilities: dict[str, Any]
) -> Iterator[Finding]:
    if "ALL" not in as_list(capabilities.get("drop")):
        message = "capabilities are not dropped: set capabilities.drop: [ALL] (the app needs none)"
        yield owner.finding("K8S-CAPABILITIES", [*where, "capabilities"], message)
    if as_list(capabilities.get("add")):
        message = (
            f"capabilities.add {capabilities['add']} grants powers the app does not need (it "
            "listens on 8080): remove it"
        )
        yield owner.finding("K8S-CAPABILITIES", [*where, "capabilities", "add"], message)


def _writable_tmp(owner: Resource, path: Path, container: dict[str, Any]) -> Iterator[Finding]:
    if dig(container, "securityContext", "readOnlyRootFilesystem") is not True:
        return
    mounts = {
        str(as_dict(m).get("mountPath", "")).rstrip("/")
        for m in as_list(container.get("volumeMounts"))
    }
    if WRITABLE_DIR not in mounts:
        message = (
            f"the root filesystem is read-only but nothing is mounted at {WRITABLE_DIR}, where the "
            "app keeps its metrics (PROMETHEUS_MULTIPROC_DIR=/tmp/metrics) and gunicorn its worker "
            f"files, so it crashes at start: mount an emptyDir volume at {WRITABLE_DIR}"
        )
        yield owner.finding("K8S-TMP-VOLUME", [*path, "volumeMounts"], message)


def replicas(resources: Sequence[Resource], workload: Resource) -> int:
    """The fewest pods the workload runs: its HPA's minReplicas when scaled, else replicas."""
    for hpa in resources:
        ref = as_dict(dig(hpa.body, "spec", "scaleTargetRef"))
        if (
            hpa.kind == "HorizontalPodAutoscaler"
            and hpa.namespace == workload.namespace
            and (ref.get("kind"), ref.get("name")) == (workload.kind, workload.name)
        ):
            low = dig(hpa.body, "spec", "minReplicas")
            return low if isinstance(low, int) else 1
    count = dig(workload.body, "spec", "replicas")
    return count if isinstance(count, int) else 1


def anti_affinity(resources: Sequence[Resource], template: PodTemplate) -> Iterator[Finding]:
    if template.owner.kind != "Deployment" or replicas(resources, template.owner) < 2:
        return
    spec = template.spec
    terms = _anti_affinity_terms(spec)
    path = [*template.path, "spec", "affinity"]
    if not terms and not spec.get("topologySpreadConstraints"):
        message = (
            "all replicas may land on one node, and fall with it: add a podAntiAffinity on "
            "kubernetes.io/hostname"
        )
        yield template.owner.finding("K8S-ANTI-AFFINITY", path, message, Severity.WARNING)
    elif terms and not any(
        matches(as_dict(t.get("labelSelector")), template.labels) for t in terms
    ):
        message = (
            "the podAntiAffinity labelSelector does not select this pod's own labels, so it "
            "spreads nothing: use the template's labels"
        )
        yield template.owner.finding(
            "K8S-ANTI-AFFINITY", [*path, "podAntiAffinity"], message, Severity.WARNING
        )


def _anti_affinity_terms(spec: dict[str, Any]) -> list[dict[str, Any]]:
    anti = as_dict(dig(spec, "affinity", "podAntiAffinity"))
    required = as_list(anti.get("requiredDuringSchedulingIgnoredDuringExecution"))
    preferred = [
        as_dict(p).get("podAffinityTerm")
        for p in as_list(anti.get("preferredDuringSchedulingIgnoredDuringExecution"))
    ]
    return [as_dict(term) for term in required + preferred]


def disruption_budgets(resources: Sequence[Resource]) -> Iterator[Finding]:
    templates = list(pod_templates(resources))
    for pdb in (r for r in resources if r.kind == "PodDisruptionBudget"):
        spec = as_dict(pdb.body.get("spec"))
        if "minAvailable" in spec and "maxUnavailable" in spec:
            message = "set minAvailable or maxUnavailable, not both: the API server rejects both"
            yield pdb.finding("K8S-PDB-REPLICAS", ["spec"], message)
            continue
        selector = as_dict(spec.get("selector"))
        for template in templates:
            if template.owner.namespace == pdb.namespace and matches(selector, template.labels):
                yield from _budget(pdb, spec, replicas(resources, template.owner), template.owner)


def _budget(pdb: Resource, spec: dict[str, Any], count: int, owner: Resource) -> Iterator[Finding]:
    if "minAvailable" in spec:
        needed = _amount(spec["minAvailable"], count, math.ceil)
        field, blocked = "minAvailable", needed >= count
    else:
        needed = _amount(spec.get("maxUnavailable", 1), count, math.floor)
        field, blocked = "maxUnavailable", needed < 1
    if blocked:
        message = (
            f"{field}: {spec.get(field)} with {count} replica(s) of {owner.ref} lets no pod be "
            f"evicted, so every node drain blocks: use minAvailable: {max(count - 1, 0)} "
            "(with at least 2 replicas) or maxUnavailable: 1"
        )
        yield pdb.finding("K8S-PDB-REPLICAS", ["spec", field], message)


def _amount(value: Any, count: int, rounding: Any) -> int:
    """An IntOrString budget: 2 or '50%' of `count`."""
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return int(rounding(int(value[:-1]) * count / 100))
    return value if isinstance(value, int) else 0
