"""YAML files as documents that remember their nodes, so a finding can name its line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sandbox.static.errors import CannotCheckError
from sandbox.static.findings import Finding, Severity
from sandbox.yaml_nodes import Key, node_at, repeated_keys

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built in: 5-10x faster


@dataclass(frozen=True)
class Document:
    """One YAML document of a manifest file; `body` is its data, `node` its parse tree."""

    file: str
    index: int
    body: Any
    node: yaml.Node = field(repr=False, compare=False)

    def line(self, path: Sequence[Key] = ()) -> int:
        """The 1-based line of the deepest node along `path` that exists."""
        return node_at(self.node, path).start_mark.line + 1


def read_documents(path: Path, shown: str) -> tuple[list[Document], list[Finding]]:
    """Every document of one file; a syntax error ends the file with a K8S-YAML finding."""
    text = _read_text(path, shown)
    if isinstance(text, Finding):
        return [], [text]
    documents: list[Document] = []
    loader = Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:  # check_node() said there is one; this narrows the type
                body = loader.construct_document(node)
                documents.append(Document(shown, len(documents), body, node))
    except yaml.YAMLError as err:
        return documents, [_syntax_finding(shown, err)]
    finally:
        loader.dispose()
    return documents, [f for doc in documents for f in duplicate_keys(doc)]


def _read_text(path: Path, shown: str) -> str | Finding:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return yaml_finding(shown, None, "the file is not UTF-8 text: save it as UTF-8")
    except OSError as err:
        raise CannotCheckError(f"cannot read {shown}: {err.strerror}", "check the path") from err


def _syntax_finding(shown: str, err: yaml.YAMLError) -> Finding:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    what = getattr(err, "problem", None) or str(err)
    context, start = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context and start is not None and start.line + 1 != line:
        what = f"{what} ({context} that starts on line {start.line + 1})"
    elif context:
        what = f"{context}, {what}"
    return yaml_finding(
        shown, line, f"YAML syntax error: {what}: fix the indentation or quoting there"
    )


def yaml_finding(shown: str, line: int | None, message: str) -> Finding:
    return Finding("K8S-YAML", Severity.ERROR, shown, "", "", message, line)


def duplicate_keys(doc: Document) -> Iterator[Finding]:
    """kubectl rejects a mapping that repeats a key; PyYAML would silently keep the last one."""
    for key in repeated_keys(doc.node):
        if key.value != "<<":  # merge keys may repeat
            message = f"the key `{key.value}` appears twice in one mapping: keep one of them"
            yield yaml_finding(doc.file, key.start_mark.line + 1, message)
