"""GitHub Classroom: the workflow that grades a learner's push on GitHub's own runner.

The learner's repository holds their copy of a lab's starter. On every push the workflow
checks it out as the lab's workspace, checks out and installs the sandbox (its labs and
checks: never the learner's), starts the embedded stack (no Docker), grades with
`sandbox lab check LAB --format github`, hands the result to GitHub Classroom's
reporter, which reads it from `<RUNNER>_RESULTS`, and stops the stack (whatever failed).
`sandbox pipeline run` runs the same workflow on this host (see tests/pipeline/
test_classroom_e2e.py).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import ConfigError
from sandbox.labs.model import Lab

WORKFLOW_PATH = Path(".github") / "workflows" / "classroom.yml"
RUNNER = "grading"  # the grading step's id: the reporter reads GRADING_RESULTS
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
PYTHON = "3.11"
SOURCE = Path(__file__).resolve().parents[2]  # the sandbox's own checkout, when it is one

TEMPLATE = """\
# Written by `sandbox classroom init {lab}`. On every push GitHub Classroom grades this
# repository with the sandbox's own checks for {lab}, on GitHub's runner (no Docker).
name: Autograding Tests
on: [push, workflow_dispatch, repository_dispatch]
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 20
    env:
      SANDBOX_HOME: ${{{{ github.workspace }}}}/.sandbox-state
      SANDBOX_WORKSPACE: ${{{{ github.workspace }}}}/workspace
    steps:
      - name: Check out your work as the lab's workspace
        uses: actions/checkout@v4
        with:
          path: workspace/{lab}
      - name: Check out the sandbox (its labs and checks)
        uses: actions/checkout@v4
        with:
          repository: {repository}
          ref: {ref}
          # Not `sandbox`: a folder of that name in the working directory would shadow the
          # installed package for every `python -m` the stack starts (the supervisor, ...).
          path: .sandbox-src
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - name: Install the sandbox
        run: python -m pip install -e ./.sandbox-src
      - name: Start the lab and the embedded stack
        run: |
          sandbox lab start {lab}
          sandbox up
      - name: Grade {lab}
        id: {runner}
        run: sandbox lab check {lab} --format github
      - name: Report to GitHub Classroom
        if: ${{{{ always() }}}}
        uses: {reporter}
        env:
          {variable}: "${{{{ steps.{runner}.outputs.result }}}}"
        with:
          runners: {runner}
      - name: Stop the embedded stack
        if: ${{{{ always() }}}}
        run: sandbox down
"""


@dataclass(frozen=True)
class Source:
    """Where the runner gets the sandbox: a GitHub repository and a git ref."""

    repository: str
    ref: str


def workflow(lab: Lab, source: Source) -> str:
    return TEMPLATE.format(
        lab=lab.id,
        repository=source.repository,
        ref=source.ref,
        python=PYTHON,
        runner=RUNNER,
        variable=f"{RUNNER.upper()}_RESULTS",
        reporter=REPORTER,
    )


def source(repository: str | None, ref: str | None) -> Source:
    """The given repository and ref, else this checkout's GitHub remote and commit."""
    repository = repository or _github_remote()
    if not repository or repository.count("/") != 1:
        raise ConfigError(
            "the workflow must say where the runner gets the sandbox from",
            "give the sandbox's GitHub repository: --sandbox-repo OWNER/NAME",
        )
    return Source(repository, ref or _git("rev-parse", "HEAD") or "main")


def _github_remote() -> str | None:
    url = _git("remote", "get-url", "origin") or ""
    for prefix in ("https://github.com/", "git@github.com:"):
        if url.startswith(prefix):
            return url.removeprefix(prefix).removesuffix(".git")
    return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(SOURCE), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def write(repo: Path, text: str, force: bool) -> Path:
    """Write the workflow into the learner repository `repo`; an existing, different one is
    kept unless `force`."""
    if not repo.is_dir():
        raise ConfigError(f"{repo} is not a folder", "give the learner repository: --dir REPO")
    target = repo / WORKFLOW_PATH
    if target.exists() and target.read_text() != text and not force:
        raise ConfigError(f"{target} exists and differs", "--force replaces it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target
