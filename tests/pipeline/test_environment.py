"""Inside a step: the sandbox's endpoints (from Settings; no stack needs to run) and the
variables GitHub's runner sets, GITHUB_SHA and GITHUB_REF from git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sandbox.aws.clients import CREDENTIALS
from sandbox.config import Settings
from sandbox.pipeline.environment import TEST_KEYS
from sandbox.stack.specs import service_specs
from tests.pipeline.conftest import Runner

PRINT_ENV = """
    on: push
    jobs:
      env:
        runs-on: ubuntu-latest
        steps:
          - run: python -c 'import json, os; print("ENV " + json.dumps(dict(os.environ)))'
"""


def step_environment(output: str) -> dict[str, str]:
    line = next(line for line in output.splitlines() if line.startswith("   | ENV "))
    found: dict[str, str] = json.loads(line.removeprefix("   | ENV "))
    return found


def test_steps_see_the_sandbox_endpoints(run_yaml: Runner, settings: Settings) -> None:
    env = step_environment(run_yaml(PRINT_ENV).output)
    specs = service_specs(settings)
    assert env["AWS_ENDPOINT_URL"] == specs["aws"].url
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_DEFAULT_REGION"]) == ("sandbox", "us-east-1")
    assert env["DATABASE_URL"] == specs["postgres"].url
    assert env["REDIS_URL"] == specs["redis"].url
    assert env["APP_URL"] == specs["app"].url
    assert env["SANDBOX_POSTGRES_PORT"] == str(settings.postgres_port)
    assert env["SANDBOX_HOME"] == str(settings.home)


def test_the_test_keys_are_the_ones_the_sandbox_clients_use() -> None:
    assert {k.lower(): v for k, v in TEST_KEYS.items()} == CREDENTIALS


def test_steps_see_githubs_variables(run_yaml: Runner, repo: Path) -> None:
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "feature"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "git@example.com:course/shop.git"], check=True)
    (repo / "README.md").write_text("shop\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    sha = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    ran = run_yaml(PRINT_ENV + '          - run: echo "${{ github.event.head_commit.message }}"\n')
    env = step_environment(ran.output)
    assert env["CI"] == env["GITHUB_ACTIONS"] == "true"
    assert env["GITHUB_WORKSPACE"] == str(repo)
    assert env["GITHUB_SHA"] == sha.strip()
    assert (env["GITHUB_REF"], env["GITHUB_REF_NAME"]) == ("refs/heads/feature", "feature")
    assert env["GITHUB_REPOSITORY"] == "course/shop"
    assert (env["GITHUB_EVENT_NAME"], env["GITHUB_JOB"]) == ("push", "env")
    assert Path(env["RUNNER_TEMP"]).name.startswith("sandbox-pipeline-")
    assert env["RUNNER_OS"] in ("Linux", "macOS")
    assert "   | first" in ran.output  # github.event: the push of the last commit


def test_the_run_temp_folder_is_removed_afterwards(run_yaml: Runner) -> None:
    env = step_environment(run_yaml(PRINT_ENV).output)
    assert not Path(env["RUNNER_TEMP"]).exists()


def test_the_repository_name_comes_from_any_kind_of_origin() -> None:
    from sandbox.pipeline.environment import _repo_name

    assert _repo_name("git@github.com:octo/cat.git") == "octo/cat"
    assert _repo_name("https://github.com/octo/cat") == "octo/cat"
    assert _repo_name("/srv/git/octo/cat/.") == "octo/cat"  # `git clone .` records this
