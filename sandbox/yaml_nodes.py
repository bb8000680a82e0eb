"""Finding a field's line in a YAML file: its node in PyYAML's composed tree.

Shared by every reader that reports `file:line` (lab files, workflows, manifests).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import yaml

Key = str | int  # a mapping key or a sequence index


def node_at(node: yaml.Node, path: Sequence[Key]) -> yaml.Node:
    """The deepest node along `path` that exists (the parent when a key is missing)."""
    for key in path:
        child = child_of(node, key)
        if child is None:
            break
        node = child
    return node


def child_of(node: yaml.Node, key: Key) -> yaml.Node | None:
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        child: yaml.Node = node.value[key]
        return child
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == str(key)), None)
    return None


def repeated_keys(root: yaml.Node) -> Iterator[yaml.ScalarNode]:
    """Each key that repeats an earlier one in the same mapping, anywhere under `root`
    (PyYAML silently keeps the last; GitHub and kubectl refuse the file)."""
    for node in _mappings(root):
        seen: set[str] = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    yield key
                seen.add(key.value)


def _mappings(node: yaml.Node) -> Iterator[yaml.MappingNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            yield current
            stack.extend(v for _, v in current.value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
