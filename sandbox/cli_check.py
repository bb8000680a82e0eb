"""`sandbox check manifests|dockerfile`: grade files offline, outside a lab.

Exit codes: 0 no findings, 1 findings, 2 could not check (a missing path, or a tool missing
while nothing else was found).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sandbox.static import (
    DEFAULT_KUBERNETES_VERSION,
    CannotCheckError,
    Finding,
    check_dockerfile,
    check_manifests,
    outcome,
)
from sandbox.static.report import EXIT_CODES, as_json, as_text, error_json

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
RULES = click.option(
    "--rule", "rules", multiple=True, metavar="ID",
    help="Only this rule id or pattern (K8S-PROBE-*, DL3007); repeat for several.",
)  # fmt: skip


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def check() -> None:
    """Grade Kubernetes manifests or a Dockerfile offline: no cluster, no Docker, no network.

    Exit 0 when clean, 1 with findings, 2 when the path could not be checked."""


@check.command()
@click.argument("path", default="manifests", type=click.Path(path_type=Path))
@click.option(
    "--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION, show_default=True,
    help="The Kubernetes release whose schemas the manifests must satisfy.",
)  # fmt: skip
@FORMAT
@RULES
def manifests(path: Path, kubernetes_version: str, fmt: str, rules: tuple[str, ...]) -> None:
    """Grade the manifests in PATH (a folder, its kustomization.yaml, or one YAML file):
    schemas, cross-references, probes against the app's endpoints, and security policy."""
    _report(str(path), fmt, lambda: check_manifests(path, kubernetes_version, rules or None))


@check.command()
@click.argument("path", default="app/Dockerfile", type=click.Path(path_type=Path))
@click.option("--require-digest", is_flag=True, help="Base images must be pinned by @sha256.")
@FORMAT
@RULES
def dockerfile(path: Path, require_digest: bool, fmt: str, rules: tuple[str, ...]) -> None:
    """Grade the Dockerfile at PATH: hadolint plus the course's rules (non-root USER,
    HEALTHCHECK, pinned bases, exec-form CMD, no secrets, real COPY --from stages)."""
    _report(str(path), fmt, lambda: check_dockerfile(path, require_digest, rules or None))


def _report(target: str, fmt: str, grade: Callable[[], list[Finding]]) -> Any:
    try:
        findings = grade()
    except CannotCheckError as err:
        if fmt == "json":
            click.echo(error_json(target, err.message, err.hint))
        else:
            click.echo(f"error: {err.render()}", err=True)
        sys.exit(EXIT_CODES["unknown"])
    click.echo(as_json(target, findings) if fmt == "json" else as_text(target, findings))
    sys.exit(EXIT_CODES[outcome(findings)])
