"""`sandbox lab new` scaffolds a lab that loads, names its one TODO, and passes
`sandbox lab validate` once that TODO is filled in; `validate` reports every check on the
starter and the solution. Labs are written to a temporary SANDBOX_LABS_DIR, never labs/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.labs.loader import load
from sandbox.labs.scaffold import new_lab
from sandbox.labs.validate import validate
from tests.conftest import REPO

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]
LAB = "04-greetings"


def sandbox(labs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANDBOX_LABS_DIR": str(labs)}
    return subprocess.run(
        [*SANDBOX, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def fill_in_the_todo(folder: Path) -> None:
    solution = folder / "solution" / "greeting.py"
    text = solution.read_text()
    placeholder = next(line for line in text.splitlines() if "raise NotImplementedError" in line)
    solution.write_text(text.replace(placeholder, '    return f"Hello, {name}!"'))


def test_lab_new_writes_a_complete_lab_and_names_the_todo(tmp_path: Path) -> None:
    done = sandbox(tmp_path, "lab", "new", LAB, "--title", "Greetings: a first lab")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / LAB
    assert "Fill in the TODO in" in done.stdout
    assert f"{folder / 'solution' / 'greeting.py'} (line 5)" in done.stdout
    for name in (
        "lab.yaml",
        "README.md",
        "checks.py",
        "steps/01-greeting.md",
        "starter/greeting.py",
        "solution/greeting.py",
    ):
        assert (folder / name).is_file(), name
    lab, registry = load(LAB, root=tmp_path)
    assert lab.title == "Greetings: a first lab"
    assert registry.get("returns") is not None  # the lab's own check kind
    assert "TODO(instructor)" in (folder / "solution/greeting.py").read_text().splitlines()[4]
    assert not (REPO / "labs" / LAB).exists()


def test_the_scaffold_fails_validation_until_the_todo_is_filled_in(tmp_path: Path) -> None:
    folder = new_lab(LAB, root=tmp_path).folder
    lab, registry = load(LAB, root=tmp_path)
    before = validate(lab, registry)
    assert not before.ok
    assert any("TODO(instructor)" in problem for problem in before.problems)
    fill_in_the_todo(folder)
    lab, registry = load(LAB, root=tmp_path)
    after = validate(lab, registry)
    assert after.problems == []
    assert [(c.id, c.starter, c.solution) for c in after.checks] == [
        ("greets", "failed", "passed"),
        ("no-placeholder", "failed", "passed"),
    ]
    assert after.indistinct == []


def test_validate_names_the_checks_that_cannot_tell_starter_from_solution(
    tmp_path: Path,
) -> None:
    folder = new_lab(LAB, root=tmp_path).folder
    fill_in_the_todo(folder)
    lab_file = folder / "lab.yaml"
    lab_file.write_text(
        lab_file.read_text().replace(
            "        not_contains: NotImplementedError", "        contains: def greet"
        )
    )
    done = sandbox(tmp_path, "lab", "validate", LAB)
    assert done.returncode == 1, done.stdout + done.stderr  # marked must_fail, passes on both
    assert "greets          failed   passed   tells them apart" in done.stdout
    assert "no-placeholder  passed   passed   cannot tell them apart" in done.stdout
    assert "cannot tell the starter from the solution: no-placeholder" in done.stdout
    as_json = json.loads(sandbox(tmp_path, "lab", "validate", LAB, "--json").stdout)
    assert as_json[0]["indistinct"] == ["no-placeholder"]


@pytest.mark.parametrize(
    "bad", ["greetings", "4-greetings", "04_greetings", "04-Greetings", "04-", "04--x", "../04-x"]
)
def test_lab_new_refuses_an_invalid_id(tmp_path: Path, bad: str) -> None:
    done = sandbox(tmp_path, "lab", "new", bad)
    assert done.returncode == 1
    assert f"error: {bad!r} is not a lab id" in done.stderr
    assert "like 04-message-queues" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_lab_new_refuses_a_lab_that_exists(tmp_path: Path) -> None:
    new_lab(LAB, root=tmp_path)
    marker = tmp_path / LAB / "lab.yaml"
    before = marker.read_text()
    done = sandbox(tmp_path, "lab", "new", LAB)
    assert done.returncode == 1
    assert f"{tmp_path / LAB} already exists (a lab)" in done.stderr
    assert "Traceback" not in done.stderr
    assert marker.read_text() == before
