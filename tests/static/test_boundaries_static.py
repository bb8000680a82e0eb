"""The graders run without a screen: sandbox/static never imports Textual (or the CLI)."""

from __future__ import annotations

import ast

from tests.static.conftest import REPO


def imported(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_static_core_imports_neither_textual_nor_click() -> None:
    for path in (REPO / "sandbox" / "static").glob("*.py"):
        modules = imported(path.read_text())
        assert not {m for m in modules if m.split(".")[0] in ("textual", "click")}, path
        assert "sandbox.cli" not in modules, path
