"""The `manifest` and `dockerfile` check kinds for labs: the static graders behind the lab
engine's contract. PASSED: no finding of the chosen rules; FAILED: the findings, each saying
what to change; UNKNOWN: the path could not be graded (or hadolint is missing).

They are among the built-in kinds (sandbox/labs/checks/__init__.py).
A lab asks about one mistake with `rules: [K8S-PROBE-PATH]` (ids or patterns like K8S-PROBE-*).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params
from sandbox.labs.stamp import stamp
from sandbox.static import catalogue
from sandbox.static.dockerfile import check_dockerfile
from sandbox.static.errors import CannotCheckError
from sandbox.static.findings import Finding, outcome, select
from sandbox.static.manifests import DEFAULT_KUBERNETES_VERSION, check_manifests

SHOWN = 10  # findings listed in a failed outcome; the rest are counted


def _known_rule(rule: str) -> str:
    """A rule id or pattern that selects nothing is a typo: the check would always pass."""
    problem = catalogue.problem(rule)
    if problem is not None:
        raise ValueError(problem)
    return rule


class RuleId(str):
    """A rule id or pattern (K8S-PROBE-*) of the catalogue, sandbox/static/catalogue.py."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_known_rule, core_schema.str_schema())


class ManifestParams(Params):
    path: str = "manifests"  # relative to the workspace: a folder, kustomization or YAML file
    rules: tuple[RuleId, ...] = ()  # only these rule ids or patterns; empty: every rule
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION


class DockerfileParams(Params):
    path: str = "app/Dockerfile"  # relative to the workspace
    rules: tuple[RuleId, ...] = ()
    require_digest: bool = False


def evaluate_manifest(params: ManifestParams, ctx: CheckContext) -> Outcome:
    def grade(path: Path) -> list[Finding]:
        everything = _all_findings(str(path), params.kubernetes_version, stamp(path))
        return select(everything, params.rules) if params.rules else list(everything)

    return _grade(ctx, params.path, grade)


_ONE_AT_A_TIME = threading.Lock()


@functools.lru_cache(maxsize=8)
def _all_findings(path: str, kubernetes_version: str, _stamp: str) -> tuple[Finding, ...]:
    """A lab's manifest checks each select some rules of one grading of the same files: it
    is made once per content (`_stamp`), not once per check (CPU-bound: one at a time)."""
    with _ONE_AT_A_TIME:
        return tuple(check_manifests(Path(path), kubernetes_version))


def evaluate_dockerfile(params: DockerfileParams, ctx: CheckContext) -> Outcome:
    return _grade(
        ctx, params.path, lambda p: check_dockerfile(p, params.require_digest, params.rules or None)
    )


def _grade(ctx: CheckContext, relative: str, grade: Callable[[Path], list[Finding]]) -> Outcome:
    path = (ctx.workspace / relative).resolve()
    if not path.is_relative_to(ctx.workspace.resolve()):
        return Outcome.unknown(f"{relative} is outside the workspace")
    try:
        findings = grade(path)
    except CannotCheckError as err:
        return Outcome.unknown(err.render())
    verdict = outcome(findings)
    if verdict == "passed":
        return Outcome.passed(f"{relative}: no findings")
    text = _describe(findings, ctx.workspace.resolve())
    return Outcome.failed(text) if verdict == "failed" else Outcome.unknown(text)


def _describe(findings: list[Finding], workspace: Path) -> str:
    lines = [_line(f, workspace) for f in findings[:SHOWN]]
    if len(findings) > SHOWN:
        lines.append(f"... and {len(findings) - SHOWN} more")
    return "\n".join(lines)


def _line(finding: Finding, workspace: Path) -> str:
    where = os.path.relpath(finding.file, workspace) if finding.file else ""
    place = f"{where}:{finding.line}" if finding.line else where
    subject = " ".join(p for p in (finding.resource, finding.path) if p)
    return f"{place} {finding.rule} {subject}: {finding.message}".strip()


MANIFEST = CheckKind(
    "manifest",
    ManifestParams,
    evaluate_manifest,
    example={"path": "manifests", "rules": ["K8S-PROBE-*"]},
    summary="Kubernetes manifests: schema, cross-references and the course's policies, "
    "offline (only the chosen rules).",
)
DOCKERFILE = CheckKind(
    "dockerfile",
    DockerfileParams,
    evaluate_dockerfile,
    example={"path": "Dockerfile", "rules": ["DF-ROOT-USER"]},
    summary="A Dockerfile: hadolint and the course's rules (only the chosen rules).",
)
