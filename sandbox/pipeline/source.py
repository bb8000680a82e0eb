"""A workflow file read as YAML that remembers its lines, so every problem can name one.

GitHub reads workflows as YAML 1.2, where `on`, `yes` and `no` are strings; PyYAML reads
YAML 1.1, where they are booleans (`on:` would become the key True). The loader here keeps
only true/false as booleans, like GitHub.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from sandbox.pipeline.problems import InvalidWorkflowError, Problem, fail
from sandbox.yaml_nodes import Key, node_at, repeated_keys

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built in


BOOL, INT = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int"


class WorkflowLoader(_BaseLoader):  # type: ignore[misc]
    """SafeLoader with YAML 1.2's booleans (true/false only, never on/off/yes/no) and
    integers (010 is ten, 1:30 a string)."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (BOOL, INT)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    return int(text, 0) if text[:2] in ("0x", "0o") else int(text, 10)


WorkflowLoader.add_implicit_resolver(
    BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
WorkflowLoader.add_implicit_resolver(
    INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
WorkflowLoader.add_constructor(INT, _construct_int)


@dataclass(frozen=True)
class Source:
    """A workflow's data and its parse tree: `line(path)` finds where a value is written."""

    file: str
    data: Any
    node: yaml.Node = field(repr=False, compare=False)

    def line(self, path: Sequence[Key] = ()) -> int:
        """The 1-based line of the deepest node along `path` that exists."""
        return node_at(self.node, path).start_mark.line + 1

    def key_line(self, path: Sequence[Key]) -> int:
        """The line of the key that ends `path` (for an unknown or misplaced key)."""
        parent = node_at(self.node, path[:-1])
        if isinstance(parent, yaml.MappingNode):
            for key, _ in parent.value:
                if key.value == path[-1]:
                    return int(key.start_mark.line) + 1
        return self.line(path)

    def text_line(self, path: Sequence[Key], offset: int) -> int:
        """The line of character `offset` inside the string at `path`: exact in a block
        scalar (| or >), the scalar's first line otherwise."""
        node = node_at(self.node, path)
        start = int(node.start_mark.line) + 1
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            value = str(node.value)
            return start + 1 + value[:offset].count("\n") if node.style == "|" else start + 1
        return start


def read_source(path: Path, shown: str) -> Source:
    """The workflow file parsed, or an InvalidWorkflowError naming the line that breaks it."""
    text = _read_text(path, shown)
    loader = WorkflowLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise fail(shown, None, "the file is empty", "write a workflow: `on:` and `jobs:`")
        data = loader.construct_document(node)
    except yaml.YAMLError as err:
        raise InvalidWorkflowError([_syntax_problem(shown, err)]) from None
    finally:
        loader.dispose()
    duplicates = list(_duplicate_keys(shown, node))
    if duplicates:
        raise InvalidWorkflowError(duplicates)
    return Source(shown, data, node)


def _read_text(path: Path, shown: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise fail(shown, None, "the file is not UTF-8 text", "save it as UTF-8") from None
    except OSError as err:
        raise fail(shown, None, f"cannot read it: {err.strerror}", "check the path") from None


def _syntax_problem(shown: str, err: yaml.YAMLError) -> Problem:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    what = getattr(err, "problem", None) or str(err)
    context, start = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context and start is not None and start.line + 1 != line:
        what = f"{what} ({context} that starts on line {start.line + 1})"
    elif context:
        what = f"{context}, {what}"
    return Problem(shown, line, f"YAML syntax error: {what}: fix the indentation or quoting")


def _duplicate_keys(shown: str, root: yaml.Node) -> Iterator[Problem]:
    """GitHub rejects a mapping that repeats a key; PyYAML would silently keep the last."""
    for key in repeated_keys(root):
        message = f"the key `{key.value}` appears twice in one mapping: keep one of them"
        yield Problem(shown, key.start_mark.line + 1, message)
