"""Schema validation: strict, every error reported, the Kubernetes version configurable."""

from __future__ import annotations

from pathlib import Path

from sandbox.static import check_manifests
from sandbox.static.schema import kubernetes_minor, supported_versions

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  replicas: three
  template:
    metadata: {labels: {app: x}}
    spec:
      containers:
        - name: x
          image: x:1
          livenessprobe: {}
          ports: [{containerPort: 80, protocol: TCP, hostPort: "80"}]
"""


def test_every_schema_error_of_a_resource_is_reported(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DEPLOYMENT)
    found = {f.path: f.message for f in check_manifests(tmp_path, rules=["K8S-SCHEMA"])}
    c = "spec.template.spec.containers[0]"
    assert set(found) == {"spec", "spec.replicas", c, f"{c}.ports[0].hostPort"}
    assert "lacks the required field 'selector'" in found["spec"]
    assert "did you mean `livenessProbe`?" in found[c]
    assert "is the str 'three' but must be an integer" in found["spec.replicas"]
    assert "must be a string or integer" not in found[f"{c}.ports[0].hostPort"]


def test_unknown_kind_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("apiVersion: v1\nkind: Deploymnet\nmetadata: {name: x}\n")
    [finding] = check_manifests(tmp_path, rules=["K8S-API-VERSION"])
    assert "no kind 'Deploymnet'" in finding.message


def test_wrong_group_is_an_unknown_api_version(tmp_path: Path) -> None:
    body = "apiVersion: networking.example.com/v1\nkind: Ingress\nmetadata: {name: x}\n"
    (tmp_path / "x.yaml").write_text(body)
    [finding] = check_manifests(tmp_path, rules=["K8S-API-VERSION"])
    assert "use apiVersion: networking.k8s.io/v1" in finding.message


def test_versions() -> None:
    assert supported_versions()[0] == "1.25"
    assert "1.37" in supported_versions()
    assert kubernetes_minor("v1.35.2") == "1.35"
