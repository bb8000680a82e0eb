"""Cross-resource checks: what the API server or the controllers would find missing.

Each check reads the whole set, since a reference is only wrong relative to the others.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from difflib import get_close_matches
from typing import Any

from sandbox.static.findings import Finding
from sandbox.static.resources import (
    PodTemplate,
    Resource,
    as_dict,
    as_list,
    containers,
    dig,
    in_namespace,
    pod_templates,
)
from sandbox.static.selectors import is_empty, map_matches, matches
from sandbox.yaml_nodes import Key

SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


def check_refs(resources: Sequence[Resource]) -> Iterator[Finding]:
    templates = list(pod_templates(resources))
    yield from workload_selectors(templates)
    yield from service_selectors(resources, templates)
    yield from pdb_selectors(resources, templates)
    yield from hpa_targets(resources)
    yield from role_bindings(resources)
    yield from service_accounts(resources, templates)
    yield from env_refs(resources, templates)
    yield from volume_refs(resources, templates)
    yield from ingress_backends(resources)


def _suggest(name: str, names: set[str], kind: str) -> str:
    close = get_close_matches(name, sorted(names), n=1) or sorted(names)[:1]
    return f"use {kind} `{close[0]}`" if close else f"add a {kind} named `{name}`"


def workload_selectors(templates: Sequence[PodTemplate]) -> Iterator[Finding]:
    for template in templates:
        owner = template.owner
        if owner.kind not in SELECTOR_KINDS:
            continue  # Jobs generate their selector
        selector = dig(owner.body, "spec", "selector")
        if is_empty(selector):
            message = "spec.selector is empty: set matchLabels to the pod template's labels"
            yield owner.finding("K8S-SELECTOR", ["spec", "selector"], message)
        elif not matches(as_dict(selector), template.labels):
            message = (
                f"spec.selector {_labels(selector)} does not match the template's labels "
                f"{_labels(template.labels)}, so the API server rejects the {owner.kind}: "
                "make spec.selector.matchLabels a subset of spec.template.metadata.labels"
            )
            yield owner.finding("K8S-SELECTOR", ["spec", "selector"], message)


def _labels(value: Any) -> str:
    return str(as_dict(as_dict(value).get("matchLabels", value)))


def _selected(
    templates: Sequence[PodTemplate], namespace: str | None, selector: dict[str, Any], plain: bool
) -> list[PodTemplate]:
    """The templates in `namespace` that a plain (Service) or full (PDB) selector picks."""
    test = map_matches if plain else matches
    return [t for t in templates if t.owner.namespace == namespace and test(selector, t.labels)]


def service_selectors(
    resources: Sequence[Resource], templates: Sequence[PodTemplate]
) -> Iterator[Finding]:
    for service in (r for r in resources if r.kind == "Service"):
        selector = as_dict(dig(service.body, "spec", "selector"))
        if not selector:
            continue  # no selector: endpoints are managed by hand
        chosen = _selected(templates, service.namespace, selector, plain=True)
        if not chosen:
            yield service.finding("K8S-SERVICE-SELECTOR", ["spec", "selector"], _no_pods(selector))
        else:
            yield from service_ports(service, chosen)


def _no_pods(selector: Any) -> str:
    return (
        f"the selector {selector} matches no pod template in this namespace, so the Service "
        "has no endpoints: copy the labels of the Deployment's spec.template.metadata.labels"
    )


def service_ports(service: Resource, chosen: Sequence[PodTemplate]) -> Iterator[Finding]:
    ports = [(path, c.get("ports")) for t in chosen for path, c in containers(t, init=False)]
    declared = [as_dict(p) for _, plist in ports for p in as_list(plist)]
    names = {p.get("name") for p in declared} - {None}
    numbers = {p.get("containerPort") for p in declared} - {None}
    for index, port in enumerate(as_list(dig(service.body, "spec", "ports"))):
        target = as_dict(port).get("targetPort", as_dict(port).get("port"))
        problem = _port_problem(target, names, numbers)
        if problem and declared:
            where: list[Key] = ["spec", "ports", index, "targetPort"]
            yield service.finding("K8S-SERVICE-PORT", where, problem)


def _port_problem(target: Any, names: set[Any], numbers: set[Any]) -> str:
    listed = ", ".join(sorted(map(str, names | numbers)))
    if isinstance(target, str) and target not in names:
        return (
            f"targetPort `{target}` names no containerPort of the selected pods: use one of "
            f"{listed}"
        )
    if isinstance(target, int) and target not in numbers:
        return (
            f"targetPort {target} is not a containerPort of the selected pods: use one of {listed}"
        )
    return ""


def pdb_selectors(
    resources: Sequence[Resource], templates: Sequence[PodTemplate]
) -> Iterator[Finding]:
    for pdb in (r for r in resources if r.kind == "PodDisruptionBudget"):
        selector = as_dict(dig(pdb.body, "spec", "selector"))
        if not _selected(templates, pdb.namespace, selector, plain=False):
            message = (
                f"the selector {_labels(selector)} matches no pod template in this namespace, "
                "so the budget protects nothing: use the Deployment's template labels"
            )
            yield pdb.finding("K8S-PDB-SELECTOR", ["spec", "selector"], message)


def hpa_targets(resources: Sequence[Resource]) -> Iterator[Finding]:
    for hpa in (r for r in resources if r.kind == "HorizontalPodAutoscaler"):
        ref = as_dict(dig(hpa.body, "spec", "scaleTargetRef"))
        kind, name = ref.get("kind"), ref.get("name")
        names = {r.name for r in resources if r.kind == kind and r.namespace == hpa.namespace}
        if name not in names:
            fix = (
                _suggest(str(name), names, str(kind))
                if names
                else f"add the {kind} or fix the name"
            )
            message = (
                f"scaleTargetRef names {kind}/{name}, which these manifests do not define: {fix}"
            )
            yield hpa.finding("K8S-HPA-TARGET", ["spec", "scaleTargetRef", "name"], message)
        yield from _hpa_range(hpa)


def _hpa_range(hpa: Resource) -> Iterator[Finding]:
    low, high = dig(hpa.body, "spec", "minReplicas"), dig(hpa.body, "spec", "maxReplicas")
    low = low if isinstance(low, int) else 1
    if isinstance(high, int) and low > high:
        message = f"minReplicas {low} is above maxReplicas {high}: the API server rejects it"
        yield hpa.finding("K8S-HPA-RANGE", ["spec", "minReplicas"], message)


def role_bindings(resources: Sequence[Resource]) -> Iterator[Finding]:
    for binding in (r for r in resources if r.kind == "RoleBinding"):
        yield from _role_ref(binding, resources)
        for index, subject in enumerate(as_list(binding.body.get("subjects"))):
            yield from _subject(binding, resources, index, as_dict(subject))


def _role_ref(binding: Resource, resources: Sequence[Resource]) -> Iterator[Finding]:
    ref = as_dict(binding.body.get("roleRef"))
    if ref.get("kind") != "Role":
        return  # ClusterRoles may be built in (view, edit): not checkable offline
    roles = in_namespace(resources, "Role", binding.namespace)
    if ref.get("name") not in roles:
        message = (
            f"roleRef names Role `{ref.get('name')}`, which is not defined in this namespace: "
            f"{_suggest(str(ref.get('name')), roles, 'Role')}"
        )
        yield binding.finding("K8S-ROLE-REF", ["roleRef", "name"], message)


def _subject(
    binding: Resource, resources: Sequence[Resource], index: int, subject: dict[str, Any]
) -> Iterator[Finding]:
    if subject.get("kind") != "ServiceAccount" or subject.get("name") == "default":
        return
    namespace = subject.get("namespace", binding.namespace)
    accounts = in_namespace(resources, "ServiceAccount", namespace)
    if subject.get("name") not in accounts:
        message = (
            f"subject ServiceAccount `{subject.get('name')}` (namespace {namespace}) is not "
            f"defined: {_suggest(str(subject.get('name')), accounts, 'ServiceAccount')}"
        )
        yield binding.finding("K8S-SUBJECT-REF", ["subjects", index, "name"], message)


def service_accounts(
    resources: Sequence[Resource], templates: Sequence[PodTemplate]
) -> Iterator[Finding]:
    for template in templates:
        name = template.spec.get("serviceAccountName")
        accounts = in_namespace(resources, "ServiceAccount", template.owner.namespace)
        if isinstance(name, str) and name != "default" and name not in accounts:
            message = (
                f"serviceAccountName `{name}` is not defined, so no pod can be created: "
                f"{_suggest(name, accounts, 'ServiceAccount')}"
            )
            path = [*template.path, "spec", "serviceAccountName"]
            yield template.owner.finding("K8S-SERVICE-ACCOUNT", path, message)


def _data_keys(
    resources: Sequence[Resource], kind: str, namespace: str | None
) -> dict[str, set[str]]:
    """name -> keys of every ConfigMap or Secret in the namespace."""
    fields = ("data", "stringData") if kind == "Secret" else ("data", "binaryData")
    return {
        r.name: {str(k) for f in fields for k in as_dict(r.body.get(f))}
        for r in resources
        if r.kind == kind and r.namespace == namespace
    }


def env_refs(resources: Sequence[Resource], templates: Sequence[PodTemplate]) -> Iterator[Finding]:
    for template in templates:
        namespace = template.owner.namespace
        known = {k: _data_keys(resources, k, namespace) for k in ("ConfigMap", "Secret")}
        for path, container in containers(template):
            yield from _env_from(template.owner, path, container, known)
            yield from _env_values(template.owner, path, container, known)


_REF_KINDS = {"configMapRef": "ConfigMap", "secretRef": "Secret"}
_KEY_REF_KINDS = {"configMapKeyRef": "ConfigMap", "secretKeyRef": "Secret"}


def _env_from(
    owner: Resource, path: tuple[Any, ...], container: dict[str, Any], known: dict[str, Any]
) -> Iterator[Finding]:
    for index, source in enumerate(as_list(container.get("envFrom"))):
        for field, kind in _REF_KINDS.items():
            ref = as_dict(as_dict(source).get(field))
            if ref and not ref.get("optional") and ref.get("name") not in known[kind]:
                where = [*path, "envFrom", index, field, "name"]
                yield owner.finding("K8S-ENV-REF", where, _missing(kind, ref.get("name"), known))


def _missing(kind: str, name: Any, known: dict[str, Any]) -> str:
    return (
        f"{kind} `{name}` is not defined in this namespace, so the pod cannot start "
        f"(CreateContainerConfigError): {_suggest(str(name), set(known[kind]), kind)}"
    )


def _env_values(
    owner: Resource, path: tuple[Any, ...], container: dict[str, Any], known: dict[str, Any]
) -> Iterator[Finding]:
    for index, variable in enumerate(as_list(container.get("env"))):
        source = as_dict(as_dict(variable).get("valueFrom"))
        for field, kind in _KEY_REF_KINDS.items():
            ref = as_dict(source.get(field))
            if not ref or ref.get("optional"):
                continue
            where = [*path, "env", index, "valueFrom", field]
            name, key = ref.get("name"), ref.get("key")
            if name not in known[kind]:
                yield owner.finding("K8S-ENV-REF", [*where, "name"], _missing(kind, name, known))
            elif key not in known[kind][name]:
                message = (
                    f"{kind} `{name}` has no key `{key}`: add it or use one of "
                    f"{sorted(known[kind][name])}"
                )
                yield owner.finding("K8S-ENV-REF", [*where, "key"], message)


def volume_refs(
    resources: Sequence[Resource], templates: Sequence[PodTemplate]
) -> Iterator[Finding]:
    for template in templates:
        namespace = template.owner.namespace
        volumes = as_list(template.spec.get("volumes"))
        yield from _volume_sources(template, resources, namespace, volumes)
        names = {as_dict(v).get("name") for v in volumes}
        for path, container in containers(template):
            for index, mount in enumerate(as_list(container.get("volumeMounts"))):
                if as_dict(mount).get("name") not in names:
                    message = (
                        f"volumeMount `{as_dict(mount).get('name')}` names no volume of the pod: "
                        "add it to spec.volumes or fix the name"
                    )
                    yield template.owner.finding(
                        "K8S-VOLUME-REF", [*path, "volumeMounts", index, "name"], message
                    )


def _volume_sources(
    template: PodTemplate, resources: Sequence[Resource], namespace: str | None, volumes: list[Any]
) -> Iterator[Finding]:
    for index, volume in enumerate(volumes):
        for field, kind, key in (
            ("configMap", "ConfigMap", "name"),
            ("secret", "Secret", "secretName"),
        ):
            source = as_dict(as_dict(volume).get(field))
            names = in_namespace(resources, kind, namespace)
            if source and not source.get("optional") and source.get(key) not in names:
                message = (
                    f"volume `{as_dict(volume).get('name')}` mounts {kind} `{source.get(key)}`, "
                    f"which is not defined: {_suggest(str(source.get(key)), names, kind)}"
                )
                path = [*template.path, "spec", "volumes", index, field, key]
                yield template.owner.finding("K8S-VOLUME-REF", path, message)


def ingress_backends(resources: Sequence[Resource]) -> Iterator[Finding]:
    for ingress in (r for r in resources if r.kind == "Ingress"):
        services = {
            r.name: r for r in resources if r.kind == "Service" and r.namespace == ingress.namespace
        }
        for path, backend in _backends(ingress):
            yield from _backend(ingress, path, backend, services)


def _backends(ingress: Resource) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    spec = as_dict(ingress.body.get("spec"))
    if spec.get("defaultBackend"):
        yield ["spec", "defaultBackend", "service"], as_dict(dig(spec, "defaultBackend", "service"))
    for r, rule in enumerate(as_list(spec.get("rules"))):
        for p, item in enumerate(as_list(dig(rule, "http", "paths"))):
            path = ["spec", "rules", r, "http", "paths", p, "backend", "service"]
            yield path, as_dict(dig(item, "backend", "service"))


def _backend(
    ingress: Resource, path: list[Any], backend: dict[str, Any], services: dict[str, Resource]
) -> Iterator[Finding]:
    name = backend.get("name")
    if not backend:
        return
    if name not in services:
        message = (
            f"backend Service `{name}` is not defined in this namespace: "
            f"{_suggest(str(name), set(services), 'Service')}"
        )
        yield ingress.finding("K8S-INGRESS-BACKEND", [*path, "name"], message)
        return
    ports = [as_dict(p) for p in as_list(dig(services[name].body, "spec", "ports"))]
    wanted = as_dict(backend.get("port"))
    offered = {p.get("port") for p in ports} | {p.get("name") for p in ports}
    chosen = wanted.get("number", wanted.get("name"))
    if chosen not in offered:
        listed = ", ".join(sorted(str(o) for o in offered if o is not None))
        message = (
            f"Service `{name}` has no port {chosen!r}: use one of {listed} (its `port`, not the "
            "targetPort)"
        )
        yield ingress.finding("K8S-INGRESS-BACKEND", [*path, "port"], message)
