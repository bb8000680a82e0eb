"""Before anything runs: the YAML, GitHub's schema, expressions and `needs` are checked, and
every problem is named at its file:line with what to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.pipeline import load_workflow
from sandbox.pipeline.problems import InvalidWorkflowError
from tests.pipeline.conftest import write_workflow


def problems(repo: Path, text: str) -> list[str]:
    path = write_workflow(repo, text)
    with pytest.raises(InvalidWorkflowError) as caught:
        load_workflow(path, "ci.yml")
    return [str(problem) for problem in caught.value.problems]


def test_yaml_that_does_not_parse_is_named_at_its_line(repo: Path) -> None:
    found = problems(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo
             - run: echo next
    """,
    )
    assert found == [
        "ci.yml:7: YAML syntax error: did not find expected key (while parsing a block mapping "
        "that starts on line 4): fix the indentation or quoting"
    ]


def test_an_empty_file_is_not_a_workflow(repo: Path) -> None:
    assert problems(repo, "") == ["ci.yml: the file is empty"]


def test_unknown_key_is_named_at_its_line_with_the_key_it_resembles(repo: Path) -> None:
    [found] = problems(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: pytest
                timout-minutes: 3
    """,
    )
    assert found.startswith("ci.yml:7: unknown key `timout-minutes` in `jobs.build.steps[0]`")
    assert "did you mean `timeout-minutes`?" in found


def test_missing_runs_on_and_wrong_types_are_each_reported(repo: Path) -> None:
    found = problems(
        repo,
        """
        on: push
        jobs:
          build:
            steps:
              - run: echo
          test:
            runs-on: ubuntu-latest
            timeout-minutes: soon
            continue-on-error: maybe
            steps:
              - run: echo
    """,
    )
    assert found == [
        "ci.yml:3: `jobs.build` has no `runs-on`: add it",
        'ci.yml:8: `jobs.test.timeout-minutes` is "soon": use a number or a ${{ }} expression',
        'ci.yml:9: `jobs.test.continue-on-error` is "maybe": use a boolean or a ${{ }} expression',
    ]


def test_a_step_with_run_and_uses_is_told_to_split(repo: Path) -> None:
    [found] = problems(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo
                uses: actions/checkout@v4
    """,
    )
    assert found == (
        "ci.yml:6: `jobs.build.steps[0]` has both `run` and `uses`: a step does one of them; "
        "split it in two"
    )


def test_misspelled_event_suggests_the_right_one(repo: Path) -> None:
    [found] = problems(repo, "on: pushh\njobs:\n  a:\n    runs-on: x\n    steps: [{run: x}]\n")
    assert found.startswith('ci.yml:1: `on` is "pushh"')
    assert "(did you mean `push`?)" in found


def test_on_is_read_as_a_key_not_as_yaml_1_1_true(repo: Path) -> None:
    path = write_workflow(repo, "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: x}]\n")
    assert load_workflow(path).events == ("push",)


def test_a_key_written_twice_is_an_error(repo: Path) -> None:
    [found] = problems(
        repo,
        """
        on: push
        jobs:
          a:
            runs-on: x
            runs-on: y
            steps: [{run: x}]
    """,
    )
    assert found == "ci.yml:5: the key `runs-on` appears twice in one mapping: keep one of them"


def test_expression_syntax_error_is_named_at_its_line_inside_a_block(repo: Path) -> None:
    [found] = problems(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo one
                  echo ${{ github.ref == }}
    """,
    )
    assert found.startswith("ci.yml:8: syntax error in `github.ref ==`: the expression ends")


def test_unclosed_expression_unknown_function_and_context_are_errors(repo: Path) -> None:
    found = problems(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo ${{ github.sha
              - run: echo ${{ lower(github.ref) }}
              - if: gihub.ref == 'main'
                run: echo
    """,
    )
    assert found[0].startswith("ci.yml:6: `${{ github.sha` is never closed")
    assert found[1].startswith("ci.yml:7: `lower()` is not a function the sandbox supports")
    assert found[2].startswith("ci.yml:8: `gihub` is not a context")


def test_a_condition_mixing_expression_and_text_is_refused(repo: Path) -> None:
    [found] = problems(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            if: ${{ github.ref }} == 'refs/heads/main'
            steps: [{run: echo}]
    """,
    )
    assert found.startswith("ci.yml:5: the condition")
    assert "always true" in found


def test_double_quoted_strings_in_expressions_get_a_hint(repo: Path) -> None:
    [found] = problems(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            if: github.ref == "main"
            steps: [{run: echo}]
    """,
    )
    assert "strings take single quotes" in found


def test_needs_cycle_is_an_error_naming_the_circle(repo: Path) -> None:
    [found] = problems(
        repo,
        """
        on: push
        jobs:
          build:
            needs: deploy
            runs-on: x
            steps: [{run: echo}]
          deploy:
            needs: build
            runs-on: x
            steps: [{run: echo}]
    """,
    )
    assert found == (
        "ci.yml:4: the jobs' `needs` go round in a circle: build -> deploy -> build: remove "
        "one of these needs"
    )


def test_needs_naming_an_unknown_job_is_an_error(repo: Path) -> None:
    [found] = problems(
        repo,
        """
        on: push
        jobs:
          deploy:
            needs: [tests]
            runs-on: x
            steps: [{run: echo}]
    """,
    )
    assert (
        found == "ci.yml:4: job `deploy` needs `tests`, which is not a job here: use one of deploy"
    )


def test_a_workflow_broken_after_it_loaded_is_checked_again(repo: Path) -> None:
    """Data found valid is not validated again (a lab 05 grading loads one workflow a dozen
    times); data that changed is."""
    valid = """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: pytest
    """
    for _ in range(2):
        load_workflow(write_workflow(repo, valid), "ci.yml")
    found = problems(repo, valid.replace("runs-on:", "runs_on:"))
    assert found[0] == "ci.yml:3: `jobs.build` has no `runs-on`: add it"
    assert found[1].startswith("ci.yml:4: unknown key `runs_on` in `jobs.build`")
    load_workflow(write_workflow(repo, valid), "ci.yml")
