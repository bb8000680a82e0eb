"""GitHub Classroom end to end, offline: a learner's repository for lab 02 holding the workflow
`sandbox classroom init` writes, run by `sandbox pipeline run` as GitHub runs it on a push.

One repository, two pushes: the starter (the run fails; the reporter's table shows the
starter's points), then the solution (full score; the run succeeds). Each run installs the
sandbox, starts the embedded stack (free ports, its state in the repository, as on the
runner), grades, reports and stops the stack.

The sandbox checkout step resolves to this very checkout: --sandbox-repo names it as the
pipeline sees it (its origin, or local/<folder> without one), and the local actions/checkout
links the running sandbox's source for it.

pip reaches no index here, so the install step runs for real but offline and aside: no index
(PIP_NO_INDEX), the build backend from a wheelhouse the test fills from pip's own local
sources, the install into a throwaway PIP_PREFIX, PIP_IGNORE_INSTALLED so that pip never
uninstalls this environment's own editable install, and PIP_NO_DEPS (this environment has
them). A test asserts this environment's install is unchanged.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.labs.loader import load
from sandbox.labs.model import Lab
from sandbox.pipeline.actions.checkout import SANDBOX_SOURCE
from sandbox.pipeline.environment import repository
from sandbox.services import postgres
from sandbox.stack.specs import free_port_variables

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]
# Lab 02 grades the learner's files only, but the workflow starts and stops the whole stack
# all the same. Lab 01 (graded against the running app) passes here too, except that now and
# then its solution loses the metrics check: /metrics answers 500 when it reads a gunicorn
# worker's metrics file at 0 bytes, just created (prometheus/client_python#1199).
LAB_ID = "01-twelve-factor"  # graded on the running stack: mixed pass and fail rows
LAB_FOLDER = SANDBOX_SOURCE / "labs" / LAB_ID
STATE = ".sandbox-state"  # the workflow's SANDBOX_HOME, in the repository as on the runner
JOB = "run-autograding-tests"


@dataclass
class Learner:
    repo: Path
    env: dict[str, str]  # what the pipeline runs with: free ports, offline pip
    installed_before: str


@dataclass
class Push:
    exit_code: int
    result: dict[str, Any]
    output: str  # the live output (with --json it goes to stderr)

    def step(self, name: str) -> dict[str, Any]:
        return next(s for s in self.result["jobs"][0]["steps"] if s["name"] == name)

    @property
    def table(self) -> str:
        """The reporter's lines, each run of spaces squeezed to one."""
        lines = [line.split("|", 1)[-1] for line in self.output.splitlines() if "|" in line]
        return "\n".join(" ".join(line.split()) for line in lines)


def sandbox(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SANDBOX, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=Learner", "-c", "user.email=learner@example.com"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


def push(learner: Learner, files: Path, message: str) -> Push:
    """Commit `files` (the lab's starter or solution) as the learner's work, then run the
    workflow as GitHub does on that push."""
    names = [path.name for path in files.iterdir()]
    for name in names:
        shutil.rmtree(learner.repo / name, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(files, learner.repo, dirs_exist_ok=True, ignore=ignore)  # follows links
    git(learner.repo, "add", "-A", "--", *names, ".github")
    git(learner.repo, "commit", "-qm", message)
    done = sandbox("pipeline", "run", "--json", cwd=learner.repo, env=learner.env)
    return Push(done.returncode, json.loads(done.stdout), done.stderr)


def installed() -> str:
    """Where this environment's sandbox is installed from (its direct_url.json)."""
    return importlib.metadata.distribution("cloud-sandbox").read_text("direct_url.json") or ""


def build_backend_wheels(folder: Path, env: dict[str, str]) -> None:
    """The build backend's wheel, from pip's local sources only (an empty index instead of
    the network one); the test is skipped when there is none."""
    pyproject = tomllib.loads((SANDBOX_SOURCE / "pyproject.toml").read_text())
    (folder / "no-index").mkdir(parents=True)
    local = {**env, "PIP_INDEX_URL": (folder / "no-index").as_uri()}
    download = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder)]
    done = subprocess.run(
        [*download, *pyproject["build-system"]["requires"]],
        env=local,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        pytest.skip(f"no wheel of the build backend in pip's local sources: {done.stderr[-300:]}")


@pytest.fixture(scope="module")
def learner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Learner]:
    root = tmp_path_factory.mktemp("classroom")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "PIP_"))}
    build_backend_wheels(root / "wheels", env)
    env |= free_port_variables() | {"SANDBOX_HOME": str(root / "runner-home")}
    env |= {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(root / "wheels"),
        "PIP_PREFIX": str(root / "pip-prefix"),
        "PIP_IGNORE_INSTALLED": "1",
        "PIP_NO_DEPS": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    repo = root / "learner"
    repo.mkdir()
    git(repo, "init", "-q")
    made = sandbox(
        *("classroom", "init", LAB_ID, "--dir", str(repo)),
        *("--sandbox-repo", repository(SANDBOX_SOURCE).name),
        cwd=repo,
        env=env,
    )
    assert made.returncode == 0, made.stderr
    yield Learner(repo, env, installed())
    job_env = {**env, "SANDBOX_HOME": str(repo / STATE)}
    sandbox("down", cwd=repo, env=job_env)  # in case a run stopped before its last step
    postgres.wipe(postgres.PostgresConfig(home=repo / STATE))  # its data may be in /var/tmp


@pytest.fixture(scope="module")
def starter_push(learner: Learner) -> Push:
    return push(learner, LAB_FOLDER / "starter", "the starter as it is")


@pytest.fixture(scope="module")
def solution_push(learner: Learner, starter_push: Push) -> Push:
    return push(learner, LAB_FOLDER / "solution", "my solution")


@pytest.fixture(scope="module")
def lab() -> Lab:
    return load(LAB_ID)[0]


def rows(lab: Lab, passing: bool | None = None) -> list[str]:
    """The reporter's row of each check: passing (None: as the lab says the starter does)."""
    found = []
    for _, check in lab.checks():
        passed = not check.must_fail_on_starter if passing is None else passing
        mark = f"pass {check.points}/{check.points}" if passed else f"FAIL 0/{check.points}"
        found.append(f"{check.title} {mark}")
    return found


def test_the_starter_push_fails_with_the_starters_points(starter_push: Push, lab: Lab) -> None:
    ran = (starter_push.exit_code, starter_push.result["conclusion"])
    assert ran == (1, "failure"), starter_push.output[-4000:]
    for row in rows(lab):
        assert row in starter_push.table, starter_push.output[-6000:]
    points = sum(c.points for _, c in lab.checks() if not c.must_fail_on_starter)
    assert f"Total for grading fail {points}/{lab.total_points}" in starter_push.table
    assert f"Points {points}/{lab.total_points}" in starter_push.table
    reporter = starter_push.step("Report to GitHub Classroom")
    assert reporter["message"].endswith("autograding-grading-reporter@v1: Some tests failed.")
    summary = starter_push.result["jobs"][0]["summary"]
    assert summary.startswith(f"### Autograding: {points}/{lab.total_points} points")


def test_the_solution_push_gets_the_full_score_and_succeeds(solution_push: Push, lab: Lab) -> None:
    ran = (solution_push.exit_code, solution_push.result["conclusion"])
    assert ran == (0, "success"), solution_push.output[-4000:]
    for row in rows(lab, passing=True):
        assert row in solution_push.table, solution_push.output[-6000:]
    assert f"Points {lab.total_points}/{lab.total_points}" in solution_push.table


def test_the_sandbox_checkout_is_this_checkout(starter_push: Push) -> None:
    checkout = starter_push.step("Check out the sandbox (its labs and checks)")
    assert checkout["conclusion"] == "success"
    assert f"links to the local copy {SANDBOX_SOURCE}" in starter_push.output


def test_every_run_stops_the_stack_at_the_end(
    learner: Learner, starter_push: Push, solution_push: Push
) -> None:
    for ran in (starter_push, solution_push):
        assert ran.step("Stop the embedded stack")["conclusion"] == "success"
    job_env = {**learner.env, "SANDBOX_HOME": str(learner.repo / STATE)}
    status = json.loads(sandbox("status", "--json", cwd=learner.repo, env=job_env).stdout)
    assert status["supervisor_pid"] is None
    assert {s["state"] for s in status["services"].values()} == {"stopped"}


def test_the_install_step_installs_nothing_into_this_environment(
    learner: Learner, solution_push: Push
) -> None:
    assert solution_push.step("Install the sandbox")["conclusion"] == "success"
    assert installed() == learner.installed_before
