"""`sandbox check manifests|dockerfile` through click's CliRunner: formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sandbox.cli_check import check
from sandbox.static import hadolint as hadolint_module
from tests.static.conftest import BAD, REPO


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_clean_manifests_exit_0(runner: CliRunner) -> None:
    result = runner.invoke(check, ["manifests", str(REPO / "manifests")])
    assert result.exit_code == 0, result.output
    assert "passed, no findings" in result.output


def test_default_paths_are_the_projects(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert runner.invoke(check, ["manifests"]).exit_code == 0
    assert runner.invoke(check, ["dockerfile"]).exit_code == 0


def test_findings_exit_1_in_text(runner: CliRunner) -> None:
    result = runner.invoke(check, ["manifests", str(BAD / "app-port")])
    assert result.exit_code == 1
    assert "K8S-APP-PORT Deployment/app spec.template.spec.containers[0].ports" in result.output
    assert result.output.strip().endswith("failed (5 errors)")


def test_findings_exit_1_in_json(runner: CliRunner) -> None:
    path = str(BAD / "dockerfiles" / "Dockerfile.nocmd")
    result = runner.invoke(check, ["dockerfile", path, "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["outcome"] == "failed"
    assert report["counts"] == {"error": 1, "warning": 0, "unknown": 0}
    [finding] = report["findings"]
    assert finding["rule"] == "DF-NO-CMD"
    assert finding["severity"] == "error"
    assert set(finding) == {
        "rule",
        "severity",
        "file",
        "resource",
        "path",
        "message",
        "line",
        "also",
    }


def test_rule_option_selects_a_subset(runner: CliRunner) -> None:
    path = str(BAD / "manifests")
    result = runner.invoke(check, ["manifests", path, "--rule", "K8S-PROBE-*", "--format", "json"])
    rules = {f["rule"] for f in json.loads(result.output)["findings"]}
    # the kustomization's missing file is an input problem: kept by every selection
    assert rules == {"K8S-PROBE-PATH", "K8S-PROBE-PORT", "K8S-PROBE-ROLE", "K8S-PROBE-MISSING",
                     "K8S-YAML", "K8S-KUSTOMIZE"}  # fmt: skip


def test_missing_path_exits_2_with_a_message(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(check, ["manifests", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_missing_path_exits_2_in_json(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(check, ["dockerfile", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["outcome"] == "unknown"
    assert "Dockerfile does not exist" in report["error"]


def test_bad_kubernetes_version_exits_2(runner: CliRunner) -> None:
    path = str(REPO / "manifests")
    result = runner.invoke(check, ["manifests", path, "--kubernetes-version", "2.0"])
    assert result.exit_code == 2
    assert "use one of 1.25" in result.output


def test_older_kubernetes_accepts_v2beta2(runner: CliRunner) -> None:
    path = str(BAD / "manifests")
    args = ["manifests", path, "--rule", "K8S-API-VERSION", "--format", "json"]
    now = json.loads(runner.invoke(check, args).output)["findings"]
    then = json.loads(runner.invoke(check, [*args, "--kubernetes-version", "1.25"]).output)
    assert "K8S-API-VERSION" in {f["rule"] for f in now}
    assert "K8S-API-VERSION" not in {f["rule"] for f in then["findings"]}


def test_only_unknown_exits_2(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hadolint_module, "hadolint_binary", lambda: None)
    result = runner.invoke(check, ["dockerfile", str(REPO / "app" / "Dockerfile")])
    assert result.exit_code == 2
    assert "unknown HADOLINT-MISSING" in result.output
