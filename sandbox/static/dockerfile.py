"""Grade a Dockerfile offline: hadolint's rules plus ours (df_rules.py), one finding per mistake."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from sandbox.static import catalogue
from sandbox.static.df_rules import RULES
from sandbox.static.dockerfile_model import Dockerfile, parse
from sandbox.static.errors import CannotCheckError
from sandbox.static.findings import Finding, Severity, select
from sandbox.static.hadolint import run_hadolint
from sandbox.static.loading import shown as shown_path


def check_dockerfile(
    path: Path,
    require_digest: bool = False,
    rules: Sequence[str] | None = None,
    hadolint: bool = True,
) -> list[Finding]:
    """Every finding for the Dockerfile at `path` (or `path`/Dockerfile for a folder).
    `require_digest` also wants base images pinned by @sha256 digest; `rules` keeps only
    those rule ids or patterns (see findings.select); `hadolint=False` skips hadolint."""
    file = _dockerfile_path(path)
    data = _read(file)
    shown = shown_path(file)
    dockerfile, ours = _parse(data, shown)
    if dockerfile.stages:
        for rule in RULES:
            ours += rule(dockerfile, shown, require_digest)
    theirs = run_hadolint(data, shown) if hadolint and _asks_hadolint(rules) else []
    findings = one_per_mistake(ours, theirs)
    findings.sort(key=Finding.sort_key)
    return select(findings, rules) if rules else findings


def _asks_hadolint(rules: Sequence[str] | None) -> bool:
    """Only our own rules asked for (DF-*, K8S-*): hadolint could add nothing they select."""
    return not rules or not all(rule.upper().startswith(("DF-", "K8S-")) for rule in rules)


def one_per_mistake(ours: list[Finding], theirs: list[Finding]) -> list[Finding]:
    """Our findings plus hadolint's, each mistake once: a hadolint finding on the line where
    our rule for the same mistake fired (catalogue `same_as`) becomes part of ours (`also`);
    one that a rule of ours judges instead (`covers`: DL3002 in a build stage) is dropped."""
    merged, covered = catalogue.merged_codes(), catalogue.covered_codes()
    kept = []
    for finding in theirs:
        match = next(
            (
                i
                for i, f in enumerate(ours)
                if f.rule == merged.get(finding.rule) and f.line == finding.line
            ),
            None,
        )
        if match is not None:
            ours[match] = replace(ours[match], also=(*ours[match].also, finding.rule))
        elif finding.rule not in covered:
            kept.append(finding)
    return ours + kept


def _dockerfile_path(path: Path) -> Path:
    file = path / "Dockerfile" if path.is_dir() else path
    if file.exists() and not file.is_file():
        raise CannotCheckError(f"{file} is not a file (a device or a pipe?)",
                               "give the path of your Dockerfile")  # fmt: skip
    if not file.is_file():
        raise CannotCheckError(f"{file} does not exist", "give the path of your Dockerfile")
    return file


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as err:
        raise CannotCheckError(f"cannot read {file}: {err.strerror}", "check the path") from err


def _parse(data: bytes, shown: str) -> tuple[Dockerfile, list[Finding]]:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return Dockerfile(), [
            _parse_finding(shown, None, "the file is not UTF-8 text: save it as UTF-8")
        ]
    dockerfile = parse(data)
    return dockerfile, [_parse_finding(shown, line, what) for line, what in dockerfile.problems]


def _parse_finding(shown: str, line: int | None, message: str) -> Finding:
    return Finding("DF-PARSE", Severity.ERROR, shown, "Dockerfile", "", message, line)
