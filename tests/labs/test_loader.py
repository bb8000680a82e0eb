"""Lab files: a bad one is reported as file:line: field: problem, all problems at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.labs.loader import LabFileError, load

GOOD = """\
id: 09-demo
title: Demo
summary: A demo lab.
points: 10
steps:
  - id: one
    title: First step
    instructions: steps/one.md
    checks:
      - id: readme
        kind: file
        title: README exists
        points: 10
        path: README.md
        hints:
          - text: create it
"""


def write_lab(tmp_path: Path, text: str, lab_id: str = "09-demo") -> Path:
    folder = tmp_path / lab_id
    (folder / "steps").mkdir(parents=True)
    (folder / "steps" / "one.md").write_text("Do the thing.")
    (folder / "lab.yaml").write_text(text)
    return folder


def problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(LabFileError) as caught:
        load(write_lab(tmp_path, text))
    return caught.value.render()


def test_a_good_lab_loads(tmp_path: Path) -> None:
    lab, registry = load(write_lab(tmp_path, GOOD))
    assert lab.total_points == 10
    assert lab.find_check("readme") is not None
    assert "file" in registry.names()


def test_unknown_kind_names_the_line_and_the_known_kinds(tmp_path: Path) -> None:
    message = problems(tmp_path, GOOD.replace("kind: file", "kind: fiel"))
    assert "lab.yaml:11: steps[0].checks[0].kind: unknown check kind 'fiel'" in message
    assert "http" in message


def test_bad_parameter_of_a_kind(tmp_path: Path) -> None:
    message = problems(tmp_path, GOOD.replace("path: README.md", "pathh: README.md"))
    assert "lab.yaml:14: steps[0].checks[0].pathh: Extra inputs are not permitted" in message
    assert "steps[0].checks[0].path: Field required" in message


def test_missing_required_field_and_wrong_type(tmp_path: Path) -> None:
    text = GOOD.replace("title: Demo\n", "").replace("points: 10\n", "points: lots\n", 1)
    message = problems(tmp_path, text)
    assert "title: Field required" in message
    assert "lab.yaml:3: points: Input should be a valid integer" in message


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    message = problems(tmp_path, GOOD + "  - id: [unclosed\n")
    assert "lab.yaml:" in message
    assert "not valid YAML" in message


def test_points_must_add_up_and_ids_be_unique(tmp_path: Path) -> None:
    duplicate = (
        GOOD.replace("points: 10\nsteps", "points: 30\nsteps")
        + """\
      - id: readme
        kind: file
        title: again
        path: README.md
"""
    )
    message = problems(tmp_path, duplicate)
    assert "points: 30, but the checks add up to 10" in message
    assert "duplicate check id 'readme'" in message


def test_missing_instructions_and_folder_mismatch(tmp_path: Path) -> None:
    text = GOOD.replace("steps/one.md", "steps/two.md").replace("id: 09-demo", "id: 08-other")
    message = problems(tmp_path, text)
    assert "steps[0].instructions: steps/two.md is not in" in message
    assert "id: '08-other' must match the folder '09-demo'" in message


def test_nested_fault_check_is_validated(tmp_path: Path) -> None:
    fault = GOOD.replace(
        "        kind: file\n",
        "        kind: fault\n        stop: redis\n        check: {kind: htp}\n",
    ).replace("        path: README.md\n", "")
    assert "checks[0].check.kind: unknown check kind 'htp'" in problems(tmp_path, fault)


def test_python_checks_are_registered_explicitly(tmp_path: Path) -> None:
    folder = write_lab(tmp_path, GOOD.replace("steps:", "python_checks: checks.py\nsteps:", 1))
    (folder / "checks.py").write_text(
        "from sandbox.labs.checks.base import CheckKind, Outcome, Params\n"
        "class P(Params):\n    pass\n"
        "def register(registry):\n"
        "    registry.add(CheckKind('always', P, lambda p, c: Outcome.passed()))\n"
    )
    _, registry = load(folder)
    assert "always" in registry.names()


def test_a_broken_python_checks_module_is_reported(tmp_path: Path) -> None:
    folder = write_lab(tmp_path, GOOD.replace("steps:", "python_checks: checks.py\nsteps:", 1))
    (folder / "checks.py").write_text("raise ImportError('no such thing')\n")
    with pytest.raises(LabFileError, match="loading its checks failed: ImportError"):
        load(folder)


def test_an_unknown_lab(tmp_path: Path) -> None:
    with pytest.raises(LabFileError) as caught:
        load("99-nope", root=tmp_path)
    assert "no lab '99-nope'" in caught.value.render()


def test_python_checks_may_use_postponed_annotations(tmp_path: Path) -> None:
    folder = write_lab(tmp_path, GOOD.replace("steps:", "python_checks: checks.py\nsteps:", 1))
    (folder / "checks.py").write_text(
        "from __future__ import annotations\n"
        "from typing import Literal\n"
        "from sandbox.labs.checks.base import CheckKind, Outcome, Params\n"
        "class P(Params):\n    mode: Literal['a', 'b'] = 'a'\n"
        "def register(registry):\n"
        "    registry.add(CheckKind('fwd', P, lambda p, c: Outcome.passed()))\n"
    )
    text = (folder / "lab.yaml").read_text().replace("kind: file", "kind: fwd\n        mode: b")
    (folder / "lab.yaml").write_text(text.replace("        path: README.md\n", ""))
    lab, _ = load(folder)
    assert lab.find_check("readme") is not None


NESTED = GOOD.replace(
    """      - id: readme
        kind: file""",
    """      - id: wrapped
        kind: proxy_counters
        title: counted
        proxy: users
        before:
          - {kind: http, pth: /warm}
        check: {kind: http, path: /orders, expectt: {status: 200}}
        expect: {upstream_errors: {max: 3}}
      - id: readme
        kind: file""",
)


def test_a_typo_inside_a_nested_check_fails_at_load_with_its_line(tmp_path: Path) -> None:
    message = problems(tmp_path, NESTED)
    assert "before[0].pth: Extra inputs are not permitted" in message
    assert "check.expectt: Extra inputs are not permitted" in message
