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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.static.dockerfile import check_dockerfile
    from sandbox.static.errors import CannotCheckError
    from sandbox.static.findings import Finding, Outcome, Severity, outcome, select
    from sandbox.static.manifests import (
        DEFAULT_KUBERNETES_VERSION,
        check_manifests,
        load_resources,
    )

# Each name is imported from its module when first used: `sandbox check manifests` need not
# load the Dockerfile grader (a third of its start-up), nor `check dockerfile` jsonschema.
_HOMES = {
    "check_dockerfile": "dockerfile",
    "CannotCheckError": "errors",
    **dict.fromkeys(("Finding", "Outcome", "Severity", "outcome", "select"), "findings"),
    **dict.fromkeys(("DEFAULT_KUBERNETES_VERSION", "check_manifests", "load_resources"),
                    "manifests"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


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
