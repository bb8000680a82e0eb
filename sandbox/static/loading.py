"""Which manifest files are graded: a kustomization's resources when there is one (what
`kubectl apply -k` would apply), else every *.yaml / *.yml file of the folder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.static.errors import CannotCheckError
from sandbox.static.findings import Finding, Severity
from sandbox.static.resources import CLUSTER_SCOPED, Resource, as_dict, dig, fmt_path
from sandbox.static.yaml_docs import Document, read_documents
from sandbox.yaml_nodes import Key

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Fields the grader applies; any other kustomize field changes what gets applied.
READ_FIELDS = frozenset({"apiVersion", "kind", "metadata", "resources"})
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Loaded:
    documents: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def add(self, other: Loaded) -> None:
        self.documents += other.documents
        self.findings += other.findings


def shown(path: Path) -> str:
    return os.path.normpath(path)


def load(path: Path) -> Loaded:
    """The documents to grade under `path` (a folder, a kustomization or one YAML file)."""
    if not path.exists():
        raise CannotCheckError(f"{path} does not exist", "give the folder of your manifests")
    if path.is_file():
        return _kustomized(path, set()) if path.name in KUSTOMIZATION_NAMES else _file(path)
    if not path.is_dir():
        raise CannotCheckError(f"{path} is neither a folder nor a file (a device or a pipe?)",
                               "give the folder of your manifests, or one YAML file")  # fmt: skip
    kustomization = find_kustomization(path)
    return _kustomized(kustomization, set()) if kustomization else _folder(path)


def find_kustomization(folder: Path) -> Path | None:
    return next((folder / n for n in KUSTOMIZATION_NAMES if (folder / n).is_file()), None)


def _file(path: Path) -> Loaded:
    documents, findings = read_documents(path, shown(path))
    return Loaded(documents, findings)


def _folder(folder: Path) -> Loaded:
    files = yaml_files(folder)
    if not files:
        raise CannotCheckError(
            f"{folder} holds no .yaml or .yml file",
            "write your manifests there, or give their path",
        )
    loaded = Loaded()
    for path in files:
        loaded.add(_file(path))
    return loaded


def yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())


def _kustomized(path: Path, seen: set[Path]) -> Loaded:
    seen.add(path.resolve())
    documents, findings = read_documents(path, shown(path))
    loaded = Loaded([], findings)
    if not documents or not isinstance(documents[0].body, dict):
        message = "a kustomization must be a mapping with a `resources:` list of files"
        loaded.findings.append(_kustomize_finding(path, None, [], message))
        return loaded
    kustomization = documents[0]
    loaded.findings += _unread_fields(path, kustomization)
    loaded.add(_resources(path, kustomization, seen))
    return loaded


def _unread_fields(path: Path, kustomization: Document) -> list[Finding]:
    message = (
        "the offline grader does not apply `{}`: the resources are graded as written, "
        "which may differ from what `kubectl apply -k` applies"
    )
    return [
        _kustomize_finding(path, kustomization, [key], message.format(key), Severity.UNKNOWN)
        for key in sorted(set(as_dict(kustomization.body)) - READ_FIELDS)
    ]


def _resources(path: Path, kustomization: Document, seen: set[Path]) -> Loaded:
    entries = kustomization.body.get("resources")
    if not isinstance(entries, list) or not entries:
        message = "`resources:` must list the manifest files to apply, e.g. - deployment.yaml"
        return Loaded([], [_kustomize_finding(path, kustomization, ["resources"], message)])
    loaded = Loaded()
    for index, entry in enumerate(entries):
        loaded.add(_entry(path, kustomization, index, entry, seen))
    loaded.findings += _unlisted(path, entries)
    return loaded


def _entry(path: Path, kustomization: Document, index: int, entry: Any, seen: set[Path]) -> Loaded:
    where: list[Key] = ["resources", index]
    if not isinstance(entry, str) or "://" in entry or entry.startswith(("github.com/", "git@")):
        message = f"`{entry}` is not a local file or folder: the offline grader cannot read it"
        return Loaded(
            [], [_kustomize_finding(path, kustomization, where, message, Severity.UNKNOWN)]
        )
    target = path.parent / entry
    if target.is_file():
        return _file(target)
    nested = find_kustomization(target) if target.is_dir() else None
    if nested is not None:
        return Loaded() if nested.resolve() in seen else _kustomized(nested, seen)
    problem = "has no kustomization.yaml" if target.is_dir() else "does not exist"
    message = f"`{entry}` {problem}, so `kubectl apply -k` fails: fix the entry or create it"
    return Loaded([], [_kustomize_finding(path, kustomization, where, message)])


def _unlisted(path: Path, entries: list[Any]) -> list[Finding]:
    listed = {(path.parent / e).resolve() for e in entries if isinstance(e, str)}
    return [
        Finding(
            "K8S-UNLISTED", Severity.WARNING, shown(other), "", "",
            f"{other.name} is not in {path.name}'s resources, so `kubectl apply -k` ignores "
            f"it: add `- {other.name}` to resources, or move the file out of this folder",
        )
        for other in yaml_files(path.parent)
        if other.name not in KUSTOMIZATION_NAMES and other.resolve() not in listed
    ]  # fmt: skip


def _kustomize_finding(
    path: Path,
    doc: Document | None,
    where: list[Key],
    message: str,
    severity: Severity = Severity.ERROR,
) -> Finding:
    line = doc.line(where) if doc else None
    return Finding("K8S-KUSTOMIZE", severity, shown(path), "Kustomization", fmt_path(where),
                   message, line)  # fmt: skip


def to_resources(documents: list[Document]) -> tuple[list[Resource], list[Finding]]:
    """Documents that name apiVersion, kind and metadata.name become resources."""
    resources: list[Resource] = []
    findings: list[Finding] = []
    for doc in documents:
        problem = _document_problem(doc.body)
        if problem:
            where = f"document {doc.index + 1}"
            findings.append(
                Finding("K8S-DOCUMENT", Severity.ERROR, doc.file, where, "", problem, doc.line())
            )
        elif doc.body is not None:
            resources.append(_resource(doc))
    return resources, findings


def _document_problem(body: Any) -> str:
    if body is None:
        return ""  # an empty document (a trailing ---) applies nothing
    if not isinstance(body, dict):
        return (
            f"this document is a {type(body).__name__}, not a mapping: each document between "
            "`---` lines must be one object with apiVersion, kind and metadata"
        )
    missing = [key for key in ("apiVersion", "kind") if not _text(body.get(key))]
    if not _text(dig(body, "metadata", "name")):
        missing.append("metadata.name")
    return f"the document has no {', '.join(missing)}: add it" if missing else ""


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _resource(doc: Document) -> Resource:
    body = doc.body
    kind = body["kind"]
    namespace = None if kind in CLUSTER_SCOPED else dig(body, "metadata", "namespace")
    return Resource(doc, body["apiVersion"], kind, body["metadata"]["name"],
                    namespace if isinstance(namespace, str) else None)  # fmt: skip
