"""The check kinds' reference is generated from the code: every kind documents its fields
and a valid example, and docs/labs.md is exactly what `sandbox lab kinds --markdown` prints."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sandbox.labs import reference
from sandbox.labs.checks import BUILTIN, builtin_registry
from sandbox.labs.checks.base import CheckKind
from sandbox.labs.loader import check_problems
from tests.conftest import REPO

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]


def kinds(*args: str) -> str:
    done = subprocess.run(
        [*SANDBOX, "lab", "kinds", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_docs_labs_md_is_generated_from_the_code() -> None:
    written = (REPO / "docs" / "labs.md").read_text()
    assert written == reference.as_markdown(builtin_registry()), (
        f"docs/labs.md is out of date with the check kinds: run `{reference.REGENERATE}`"
    )


def test_kinds_markdown_prints_docs_labs_md() -> None:
    assert kinds("--markdown") == (REPO / "docs" / "labs.md").read_text()


@pytest.mark.parametrize("kind", BUILTIN, ids=lambda k: k.name)
def test_every_kind_declares_a_summary_and_a_valid_example(kind: CheckKind) -> None:
    assert kind.summary
    assert kind.example
    assert check_problems({"kind": kind.name, **kind.example}, builtin_registry()) == []


def test_kinds_json_lists_every_kind_with_fields_types_and_defaults() -> None:
    document = json.loads(kinds("--json"))
    by_name = {kind["name"]: kind for kind in document["kinds"]}
    assert set(by_name) == {kind.name for kind in BUILTIN}
    fields = {field["name"]: field for field in by_name["http"]["fields"]}
    assert fields["path"] == {
        "name": "path",
        "type": "str",
        "required": True,
        "default": None,
        "nested": False,
    }
    assert fields["expect.status"]["default"] == 200
    assert fields["timeout"]["type"] == "float"
    assert by_name["fault"]["fields"][0]["type"] == '"postgres" | "redis" | "aws" | "app"'
    assert by_name["event"]["example"]["source"] == "sqs"
    assert "eventually.timeout" in {field["name"] for field in document["common_fields"]}


def test_kinds_text_shows_each_kind_with_its_example() -> None:
    text = kinds()
    assert "http: Send a request to a service" in text
    assert "    - id: my-http" in text
    assert "  timeout                      float (> 0, <= 900)" in text


def test_kinds_refuses_two_formats() -> None:
    done = subprocess.run(
        [*SANDBOX, "lab", "kinds", "--json", "--markdown"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "give --json or --markdown, not both" in done.stderr
