"""Grade a set of Kubernetes manifests offline: schema, cross-references, probes, policy."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from sandbox.static.appenv import check_app_env
from sandbox.static.findings import Finding, Severity, select
from sandbox.static.hygiene import check_hygiene
from sandbox.static.loading import load, to_resources
from sandbox.static.policy import check_policy
from sandbox.static.probes import check_probes
from sandbox.static.refs import check_refs
from sandbox.static.resources import Resource
from sandbox.static.schema import check_schema, kubernetes_minor

# The oldest minor release upstream still supports when this was written: manifests that
# pass here also apply to the slightly older clusters kind, minikube and clouds run.
DEFAULT_KUBERNETES_VERSION = "1.35"
Check = Callable[[Sequence[Resource]], Iterable[Finding]]
CHECKS: tuple[Check, ...] = (check_refs, check_probes, check_policy, check_app_env, check_hygiene)


def load_resources(path: Path) -> tuple[list[Resource], list[Finding]]:
    """The resources `kubectl apply -k` (or -f) would send, and the input problems found."""
    loaded = load(path)
    resources, findings = to_resources(loaded.documents)
    return resources, loaded.findings + findings


def check_manifests(
    path: Path,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    rules: Sequence[str] | None = None,
) -> list[Finding]:
    """Every finding for the manifests at `path`: a folder (its kustomization.yaml when there
    is one), a kustomization file or one YAML file. `rules` keeps only those rule ids or
    patterns (see findings.select). Raises CannotCheckError when nothing can be graded."""
    version = kubernetes_minor(kubernetes_version)
    resources, findings = load_resources(path)
    for resource in resources:
        findings += check_schema(resource, version)
    for check in CHECKS:
        findings += _run(check, resources)
    findings.sort(key=Finding.sort_key)
    return select(findings, rules) if rules else findings


def _run(check: Check, resources: Sequence[Resource]) -> list[Finding]:
    """A bug in one check becomes an UNKNOWN finding, never a traceback for the learner."""
    try:
        return list(check(resources))
    except Exception as err:
        message = (
            f"the {check.__name__} checks failed ({type(err).__name__}: {err}); please report it"
        )
        return [Finding("K8S-INTERNAL", Severity.UNKNOWN, "", "", "", message)]
