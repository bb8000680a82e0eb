"""uses: steps: the local stand-ins (checkout, setup-python, artifacts), and every other
action reported as not run locally, failing its job unless continue-on-error."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.pipeline import actions
from sandbox.pipeline.actions import ActionCall, ActionResult
from sandbox.pipeline.actions.setup_python import matches
from tests.pipeline.conftest import Runner

MAJOR_MINOR = ".".join(platform.python_version_tuple()[:2])


def test_checkout_uses_the_workspace_as_it_is(run_yaml: Runner, repo: Path) -> None:
    (repo / "uncommitted.txt").write_text("work in progress\n")
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: cat uncommitted.txt
    """)
    assert f"| workspace used as it is: {repo}" in ran.output
    assert "| work in progress" in ran.output


def test_setup_python_puts_this_interpreter_first_when_the_version_matches(
    run_yaml: Runner,
) -> None:
    ran = run_yaml(f"""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: py
                uses: actions/setup-python@v5
                with:
                  python-version: '{MAJOR_MINOR}'
              - run: echo "$(command -v python) ${{{{ steps.py.outputs.python-version }}}}"
    """)
    expected = f"| {Path(sys.executable).parent}/python {platform.python_version()}"
    assert expected in ran.output


def test_setup_python_with_another_version_fails_clearly(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: 3.10
    """)
    [step] = ran.job("build").steps
    assert step.message.startswith("actions/setup-python@v5: python-version 3.1 is not this ")
    assert "YAML reads an unquoted 3.10 as the number 3.1: quote it" in step.message


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        ("3.12", "3.12.4", True),
        ("3.12", "3.11.9", False),
        ("3.x", "3.13.0", True),
        ("3.12.4", "3.12.5", False),
        (">=3.11 <3.14", "3.12.1", True),
        (">=3.11,<3.12", "3.12.1", False),
        ("3.13-dev", "3.13.0", True),
    ],
)
def test_python_version_specs(spec: str, version: str, expected: bool) -> None:
    assert matches(spec, version) is expected


def test_upload_artifact_copies_into_the_sandbox_artifacts_folder(
    run_yaml: Runner, settings: Settings
) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: mkdir -p dist/docs && echo wheel > dist/app.whl && echo doc > dist/docs/i.html
              - uses: actions/upload-artifact@v4
                with:
                  name: dist
                  path: |
                    dist/
                    !dist/docs/**
          use:
            needs: build
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
                with: {name: dist, path: downloaded}
              - run: cat downloaded/app.whl
    """)
    stored = settings.home / "artifacts" / "dist"
    assert sorted(p.name for p in stored.rglob("*") if p.is_file()) == ["app.whl"]
    assert "| wheel" in ran.output
    assert ran.result.ok


def test_an_upload_that_finds_no_files_can_be_made_an_error(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/upload-artifact@v4
                with: {name: report, path: coverage.xml, if-no-files-found: error}
    """)
    [step] = ran.job("build").steps
    assert "no files match path: 'coverage.xml'" in step.message


def test_any_other_action_is_not_run_locally_and_fails_its_job(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: docker/build-push-action@v6
              - run: echo after
    """)
    first, second = ran.job("build").steps
    assert first.not_run_locally
    assert first.message.startswith("not run locally: docker/build-push-action@v6")
    assert str(second.conclusion) == "skipped"
    assert "NOT RUN LOCALLY: Run docker/build-push-action@v6" in ran.output
    assert ran.conclusions == {"build": "failure"}


def test_an_action_not_run_locally_with_continue_on_error_is_still_reported(
    run_yaml: Runner,
) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: codecov/codecov-action@v4
                continue-on-error: true
    """)
    [step] = ran.job("build").steps
    assert (str(step.outcome), str(step.conclusion), step.not_run_locally) == (
        "failure",
        "success",
        True,
    )
    assert "NOT RUN LOCALLY, continue-on-error" in ran.output
    assert ran.result.ok


@pytest.fixture
def greeter_action() -> Iterator[None]:
    """A stand-in registered the way a new one is: one entry in LOCAL_ACTIONS."""

    def greet(call: ActionCall) -> ActionResult:
        call.log(f"hello {call.input('who')}")
        return ActionResult(outputs={"greeting": f"hello {call.input('who')}"})

    actions.LOCAL_ACTIONS["example/greet"] = greet
    yield
    del actions.LOCAL_ACTIONS["example/greet"]


@pytest.mark.usefixtures("greeter_action")
def test_a_new_stand_in_is_one_entry_in_the_actions_table(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: hi
                uses: Example/Greet@v1
                with: {Who: class}
              - run: echo "${{ steps.hi.outputs.greeting }}!"
    """)
    assert "| hello class!" in ran.output


def test_a_folder_first_on_path_stays_first_after_setup_python_and_github_path(
    run_yaml: Runner, tmp_path: Path
) -> None:
    """RunOptions.first_on_path (a grader's warm `sandbox`) is found before what the run's
    own steps put first."""
    warm = tmp_path / "warm"
    warm.mkdir()
    (warm / "sandbox").write_text("#!/bin/sh\necho warm\n")
    (warm / "sandbox").chmod(0o755)
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-python@v5
              - run: echo "$RUNNER_TEMP" >> "$GITHUB_PATH"
              - run: sandbox
    """, first_on_path=(str(warm),))  # fmt: skip
    assert "| warm" in ran.output
