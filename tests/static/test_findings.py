"""Selecting findings by rule and reading an outcome from them (what a lab check does)."""

from __future__ import annotations

from sandbox.static import Finding, Severity, outcome, select
from sandbox.static.report import as_text


def finding(rule: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(rule, severity, "f.yaml", "Deployment/x", "spec", "wrong: change it", 3)


def test_select_by_id_and_pattern() -> None:
    found = [finding("K8S-PROBE-PATH"), finding("K8S-PROBE-PORT"), finding("K8S-LATEST-TAG")]
    assert [f.rule for f in select(found, ["K8S-LATEST-TAG"])] == ["K8S-LATEST-TAG"]
    assert [f.rule for f in select(found, ["k8s-probe-*"])] == ["K8S-PROBE-PATH", "K8S-PROBE-PORT"]


def test_input_problems_are_kept_by_every_selection() -> None:
    found = [finding("K8S-YAML"), finding("DF-PARSE"), finding("K8S-LATEST-TAG")]
    assert [f.rule for f in select(found, ["K8S-SELECTOR"])] == ["K8S-YAML", "DF-PARSE"]


def test_missing_hadolint_is_kept_when_a_hadolint_rule_is_asked() -> None:
    found = [finding("HADOLINT-MISSING", Severity.UNKNOWN)]
    assert select(found, ["DL3007"]) == found
    assert select(found, ["DF-ROOT-USER"]) == []


def test_outcome() -> None:
    assert outcome([]) == "passed"
    assert outcome([finding("HADOLINT-MISSING", Severity.UNKNOWN)]) == "unknown"
    assert outcome([finding("X", Severity.WARNING), finding("Y", Severity.UNKNOWN)]) == "failed"


def test_text_report_lines() -> None:
    text = as_text("manifests", [finding("K8S-A"), finding("K8S-B", Severity.WARNING)])
    assert text.splitlines() == [
        "f.yaml:3: error K8S-A Deployment/x spec",
        "    wrong: change it",
        "f.yaml:3: warning K8S-B Deployment/x spec",
        "    wrong: change it",
        "manifests: failed (1 error, 1 warning)",
    ]
