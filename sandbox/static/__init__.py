"""Offline static grading of Kubernetes manifests and Dockerfiles: no cluster, no Docker.

The graders are pure functions that return findings; a lab check or the CLI decides what a
finding means for it::

    check_manifests(Path("manifests"))        -> list[Finding]
    check_dockerfile(Path("app/Dockerfile"))  -> list[Finding]
    select(findings, ["K8S-PROBE-*"])         -> the findings of some rules only
    outcome(findings)                         -> "passed" | "failed" | "unknown"
    load_resources(Path("manifests"))         -> the parsed resources, for a lab's own assertions

A path that cannot be graded at all (missing, empty folder) raises CannotCheckError.
"""

from sandbox.static.dockerfile import check_dockerfile
from sandbox.static.errors import CannotCheckError
from sandbox.static.findings import Finding, Outcome, Severity, outcome, select
from sandbox.static.manifests import DEFAULT_KUBERNETES_VERSION, check_manifests, load_resources

__all__ = [
    "DEFAULT_KUBERNETES_VERSION",
    "CannotCheckError",
    "Finding",
    "Outcome",
    "Severity",
    "check_dockerfile",
    "check_manifests",
    "load_resources",
    "outcome",
    "select",
]
