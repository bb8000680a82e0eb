"""The pipeline runner is core: the CLI and the grader run it without a screen."""

from __future__ import annotations

import ast
from pathlib import Path

PIPELINE = Path(__file__).resolve().parents[2] / "sandbox" / "pipeline"


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_pipeline_never_imports_textual_the_tui_or_the_cli() -> None:
    offenders = {
        str(path.relative_to(PIPELINE)): sorted(bad)
        for path in PIPELINE.rglob("*.py")
        if (
            bad := {
                n for n in imported(path) if n.startswith(("textual", "sandbox.tui", "sandbox.cli"))
            }
        )
    }
    assert offenders == {}
