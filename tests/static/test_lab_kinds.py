"""The `manifest` and `dockerfile` check kinds give PASSED, FAILED or UNKNOWN, never raise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sandbox.labs.checks.base import CheckContext, Status
from sandbox.labs.checks.static_kinds import DOCKERFILE, MANIFEST
from sandbox.static import hadolint as hadolint_module
from tests.static.conftest import BAD, REPO


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    (tmp_path / "app").mkdir()
    shutil.copy(REPO / "app" / "Dockerfile", tmp_path / "app" / "Dockerfile")
    return tmp_path


def run(kind: object, workspace: Path, **params: object) -> tuple[Status, str]:
    check = MANIFEST if kind == "manifest" else DOCKERFILE
    outcome = check.evaluate(check.params(**params), CheckContext(workspace, workspace))
    return outcome.status, outcome.message


def test_the_projects_files_pass(workspace: Path) -> None:
    assert run("manifest", workspace)[0] is Status.PASSED
    assert run("dockerfile", workspace)[0] is Status.PASSED


def test_one_planted_mistake_fails_only_its_rule(workspace: Path) -> None:
    deployment = workspace / "manifests" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("path: /health/live", "path: /healthz"))
    status, message = run("manifest", workspace, rules=["K8S-PROBE-PATH"])
    assert status is Status.FAILED
    assert message.startswith("manifests/deployment.yaml:")
    assert "use /health/live" in message
    assert run("manifest", workspace, rules=["K8S-LATEST-TAG"])[0] is Status.PASSED


def test_bad_dockerfile_fails(workspace: Path) -> None:
    shutil.copy(BAD / "dockerfiles" / "Dockerfile", workspace / "app" / "Dockerfile")
    status, message = run("dockerfile", workspace, rules=["DF-ROOT-USER"])
    assert status is Status.FAILED
    assert "DF-ROOT-USER stage runtime USER" in message


def test_missing_path_and_escape_are_unknown(workspace: Path) -> None:
    assert run("manifest", workspace, path="k8s")[0] is Status.UNKNOWN
    assert run("dockerfile", workspace, path="../Dockerfile")[0] is Status.UNKNOWN


def test_missing_hadolint_is_unknown(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hadolint_module, "hadolint_binary", lambda: None)
    assert run("dockerfile", workspace)[0] is Status.UNKNOWN
    assert run("dockerfile", workspace, rules=["DF-*"])[0] is Status.PASSED
