"""The project's own manifests/ and app/Dockerfile pass every check, hadolint included."""

from __future__ import annotations

from sandbox.static import check_dockerfile, check_manifests
from sandbox.static.manifests import load_resources
from tests.static.conftest import REPO

FULL_SET = {
    "Namespace", "ConfigMap", "Secret", "Deployment", "Service", "Ingress",
    "PodDisruptionBudget", "HorizontalPodAutoscaler", "ServiceAccount", "Role", "RoleBinding",
}  # fmt: skip


def test_project_manifests_have_no_findings() -> None:
    assert check_manifests(REPO / "manifests") == []


def test_project_dockerfile_has_no_findings() -> None:
    assert check_dockerfile(REPO / "app" / "Dockerfile") == []


def test_project_manifests_are_the_full_set_through_the_kustomization() -> None:
    resources, problems = load_resources(REPO / "manifests")
    assert problems == []
    assert {r.kind for r in resources} == FULL_SET
    assert {r.namespace for r in resources if r.kind != "Namespace"} == {"cloud-native-app"}


def test_project_manifests_pass_the_newest_and_oldest_shipped_schemas_too() -> None:
    for version in ("1.30", "1.37"):
        assert check_manifests(REPO / "manifests", kubernetes_version=version) == []


def test_committed_secret_holds_only_placeholders() -> None:
    resources, _ = load_resources(REPO / "manifests")
    secret = next(r for r in resources if r.kind == "Secret")
    assert "data" not in secret.body
    assert "CHANGE-ME" in secret.body["stringData"]["DATABASE_URL"]
