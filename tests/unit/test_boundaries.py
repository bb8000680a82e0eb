"""The import rules of the design: what gets deployed never depends on the orchestrator."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("folder", ["app", "lambda"])
def test_deployed_code_never_imports_sandbox(folder: str) -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / folder).rglob("*.py")
        if "sandbox" in imported_modules(path)
    ]
    assert offenders == []


def test_core_never_imports_textual() -> None:
    core = [REPO / "sandbox" / name for name in ("stack", "aws", "labs", "services")]
    offenders = [
        str(path.relative_to(REPO))
        for folder in core
        for path in folder.rglob("*.py")
        if "textual" in imported_modules(path)
    ]
    assert offenders == []


def test_the_supervisor_loads_no_database_driver_sdk_or_validation_library() -> None:
    """It lives as long as the stack: libpq, boto3 and pydantic would cost it ~50 MB idle."""
    import subprocess
    import sys

    heavy = "{'psycopg2', 'boto3', 'pydantic'}"
    probe = f"import sys, sandbox.stack.supervisor; print(sorted({heavy} & set(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
