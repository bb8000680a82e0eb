"""The `pipeline` and `lambda_alias` check kinds, passing and failing.

Reading a workflow needs nothing running; the runs and the alias use one whole embedded
stack of this module's own (its function and `live` alias are changed here, so no other
test shares them). Workspaces are written into each test's folder.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from sandbox.aws.clients import REAL_AWS, client
from sandbox.aws.release import publish
from sandbox.labs.checks import builtin_registry
from sandbox.labs.checks.base import CheckContext, Status
from sandbox.labs.runner import evaluate_once
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.model import State
from tests.conftest import LAMBDA_DIR, REPO, stack_settings

REGISTRY = builtin_registry()
GOOD_CHANGE = {"path": "lambda/api.py", "replace": "MAX_LIMIT = 100", "with": "MAX_LIMIT = 200"}
NO_TABLE = {
    "path": "lambda/store.py",
    "replace": 'os.environ["EVENTS_TABLE"]',
    "with": 'os.environ["EVENTS_TABLE_NAME"]',
}


def workspace(root: Path, jobs: str, with_lambda: bool = False) -> Path:
    """A repository with .github/workflows/ci.yml running `jobs` on push."""
    folder = root / "repo"
    (folder / ".github" / "workflows").mkdir(parents=True)
    text = "name: ci\non: [push]\njobs:\n" + textwrap.indent(textwrap.dedent(jobs), "  ")
    (folder / ".github" / "workflows" / "ci.yml").write_text(text)
    if with_lambda:
        shutil.copytree(LAMBDA_DIR, folder / "lambda", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def check(ctx: CheckContext, **spec: Any) -> tuple[Status, str]:
    outcome = evaluate_once({"kind": spec.pop("kind", "pipeline"), **spec}, REGISTRY, ctx)
    return outcome.status, outcome.message


def offline(folder: Path) -> CheckContext:
    return CheckContext(workspace=folder, lab_dir=folder.parent)


CHAIN = """
    test:
      runs-on: ubuntu-latest
      steps: [{run: "true"}]
    static:
      needs: test
      runs-on: ubuntu-latest
      steps: [{run: "true"}]
    deploy:
      needs: static
      runs-on: ubuntu-latest
      steps: [{run: "true"}]
"""


# -- reading the workflow: nothing runs ------------------------------------------------------


def test_a_valid_workflow_passes_without_a_stack(tmp_path: Path) -> None:
    status, message = check(offline(workspace(tmp_path, CHAIN)), run=False)
    assert (status, message) == (Status.PASSED, ".github/workflows/ci.yml is valid")


def test_needs_count_through_the_jobs_in_between(tmp_path: Path) -> None:
    ctx = offline(workspace(tmp_path, CHAIN))
    status, message = check(ctx, run=False, needs={"deploy": ["test", "static"]})
    assert status is Status.PASSED
    assert message.endswith("deploy needs test, static")


def test_a_deploy_that_does_not_need_the_tests_fails_saying_what_to_add(tmp_path: Path) -> None:
    jobs = CHAIN.replace("      needs: static\n", "")
    status, message = check(
        offline(workspace(tmp_path, jobs)), run=False, needs={"deploy": ["test"]}
    )
    assert status is Status.FAILED
    assert message.startswith("job `deploy` does not need `test` (it needs nothing): add ")
    assert "`needs: [test]`" in message


def test_a_job_the_lab_names_must_exist(tmp_path: Path) -> None:
    status, message = check(
        offline(workspace(tmp_path, CHAIN)), run=False, needs={"release": ["test"]}
    )
    assert status is Status.FAILED
    assert message == ".github/workflows/ci.yml has no job `release` (jobs: test, static, deploy)"


def test_a_schema_violation_fails_at_its_line(tmp_path: Path) -> None:
    jobs = "build:\n  steps: [{run: 'true'}]\n"  # no runs-on
    status, message = check(offline(workspace(tmp_path, jobs)), run=False)
    assert status is Status.FAILED
    assert ".github/workflows/ci.yml:4" in message
    assert "runs-on" in message


def test_a_workspace_without_a_workflow_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    status, message = check(offline(tmp_path / "empty"), run=False)
    assert status is Status.FAILED
    assert "none in .github/workflows" in message


def test_a_workflow_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    folder = workspace(tmp_path, CHAIN)
    shutil.copy(folder / ".github" / "workflows" / "ci.yml", tmp_path / "elsewhere.yml")
    status, message = check(offline(folder), run=False, workflow="../elsewhere.yml")
    assert (status, message.splitlines()[0]) == (
        Status.FAILED,
        "../elsewhere.yml is outside the workspace",
    )


def test_a_run_without_the_emulator_is_unknown(tmp_path: Path) -> None:
    status, message = check(offline(workspace(tmp_path, CHAIN)))
    assert status is Status.UNKNOWN
    assert message == "the AWS emulator is not running; start the stack with `sandbox up`"


def test_a_run_is_refused_on_a_real_account(tmp_path: Path) -> None:
    ctx = offline(workspace(tmp_path, CHAIN))
    ctx.endpoints["aws"] = REAL_AWS
    assert check(ctx) == (
        Status.UNKNOWN,
        "a pipeline check deploys: it runs against the emulator only",
    )


def test_an_edit_is_either_a_lab_file_or_a_replacement() -> None:
    kind = REGISTRY.get("pipeline")
    assert kind is not None
    both = {"path": "a.py", "from_lab": "b.py", "replace": "x", "with": "y"}
    for edit in (both, {"path": "a.py"}):
        with pytest.raises(ValidationError, match="either `from_lab`"):
            kind.params.model_validate({"plant": [edit]})


# -- runs, on this module's stack --------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBackend]:
    backend = EmbeddedBackend(stack_settings(tmp_path_factory.mktemp("pipeline-kinds") / "home"))
    backend.start()
    yield backend
    backend.reset()


def on_stack(stack: EmbeddedBackend, folder: Path) -> CheckContext:
    status = stack.status()
    endpoints = {n: s.url for n, s in status.services.items() if s.state is State.HEALTHY}
    return CheckContext(workspace=folder, lab_dir=folder.parent, endpoints=endpoints, control=stack)


PLANTED = """
    build:
      runs-on: ubuntu-latest
      steps:
        - name: The planted change is here
          run: grep -q planted note.txt && test -f extra/added.txt
"""


@pytest.mark.slow
def test_a_planted_change_is_made_in_a_copy_only(stack: EmbeddedBackend, tmp_path: Path) -> None:
    folder = workspace(tmp_path, PLANTED)
    (folder / "note.txt").write_text("original\n")
    (tmp_path / "added.txt").write_text("from the lab\n")  # the lab folder is tmp_path
    plant = [
        {"path": "note.txt", "replace": "original", "with": "planted"},
        {"path": "extra/added.txt", "from_lab": "added.txt"},
    ]
    status, message = check(on_stack(stack, folder), plant=plant, change="a note")
    assert status is Status.PASSED
    assert message.startswith("with a note, the run succeeded (1 job); ")
    assert (folder / "note.txt").read_text() == "original\n"
    assert not (folder / "extra").exists()


@pytest.mark.slow
def test_a_run_that_ends_otherwise_fails_naming_the_job_and_step(
    stack: EmbeddedBackend, tmp_path: Path
) -> None:
    folder = workspace(tmp_path, PLANTED)
    (folder / "note.txt").write_text("original\n")
    status, message = check(on_stack(stack, folder), expect="success")
    assert status is Status.FAILED
    assert "the run failed in job `build`, step `The planted change is here`" in message
    assert message.endswith(": it should have succeeded")
    assert check(on_stack(stack, folder), expect="failure")[0] is Status.PASSED


@pytest.mark.slow
def test_a_plant_that_does_not_apply_is_unknown(stack: EmbeddedBackend, tmp_path: Path) -> None:
    folder = workspace(tmp_path, PLANTED)
    (folder / "note.txt").write_text("edited by the learner\n")
    plant = [{"path": "note.txt", "replace": "original", "with": "planted"}]
    status, message = check(on_stack(stack, folder), plant=plant, change="a note")
    assert status is Status.UNKNOWN
    assert message.startswith("a note cannot be planted: note.txt does not contain 'original'")


WARM = """
    build:
      runs-on: ubuntu-latest
      steps:
        - uses: actions/setup-python@v5
        - name: The sandbox steps find is the grader's warm one
          run: case "$(command -v sandbox)" in */sandbox-warm-cli-*/sandbox) ;; *) exit 1 ;; esac
        - run: sandbox check dockerfile Dockerfile
"""


@pytest.mark.slow
def test_a_graded_run_calls_the_warm_sandbox(stack: EmbeddedBackend, tmp_path: Path) -> None:
    folder = workspace(tmp_path, WARM)
    shutil.copy(REPO / "labs" / "05-cicd" / "starter" / "app" / "Dockerfile", folder)
    status, message = check(on_stack(stack, folder))
    assert status is Status.PASSED, message
    (folder / "Dockerfile").write_text("FROM python:latest\n")  # findings: exit 1, run fails
    status, message = check(on_stack(stack, folder))
    assert status is Status.FAILED
    assert "step `Run sandbox check dockerfile Dockerfile`" in message
    assert "Dockerfile: failed" in message  # what the warm call printed reached the log


NESTED = """
    grade:
      runs-on: ubuntu-latest
      steps:
        - run: sandbox lab check 01-twelve-factor
"""


@pytest.mark.slow
def test_a_lab_check_inside_a_graded_run_is_refused_at_once(
    stack: EmbeddedBackend, tmp_path: Path
) -> None:
    # It would wait for the grading that runs it, which waits for it.
    status, message = check(on_stack(stack, workspace(tmp_path, NESTED)))
    assert status is Status.FAILED
    assert "step `Run sandbox lab check 01-twelve-factor`" in message
    assert "this command runs inside the grading of" in message


PUBLISH = """
    deploy:
      runs-on: ubuntu-latest
      steps:
        - run: sandbox deploy --publish --yes
"""


def invoke_live(endpoint: str, limit: int) -> int:
    """The status GET /events?limit=N answers, from the version `live` runs."""
    event = {
        "httpMethod": "GET",
        "resource": "/events",
        "requestContext": {},
        "queryStringParameters": {"event_type": "x", "limit": str(limit)},
    }
    answer = client("lambda", endpoint).invoke(
        FunctionName="sandbox-events-processor", Qualifier="live", Payload=json.dumps(event)
    )
    return int(json.loads(answer["Payload"].read())["statusCode"])


@pytest.mark.slow
def test_a_released_change_moved_live_to_its_code(stack: EmbeddedBackend, tmp_path: Path) -> None:
    ctx = on_stack(stack, workspace(tmp_path, PUBLISH, with_lambda=True))
    status, message = check(ctx, plant=[GOOD_CHANGE], change="a bigger page", live="moved")
    assert status is Status.PASSED, message
    assert "the run succeeded (1 job); `live` " in message
    assert invoke_live(ctx.endpoints["aws"], 150) == 200  # live runs MAX_LIMIT = 200


@pytest.mark.slow
def test_a_version_that_fails_its_smoke_test_kept_live(
    stack: EmbeddedBackend, tmp_path: Path
) -> None:
    ctx = on_stack(stack, workspace(tmp_path, PUBLISH, with_lambda=True))
    status, message = check(ctx, plant=[NO_TABLE], expect="failure", live="kept")
    assert status is Status.PASSED, message
    assert "failed in job `deploy`" in message
    assert "EVENTS_TABLE_NAME" in message
    wrongly = check(ctx, plant=[NO_TABLE], expect="failure", live="moved")
    assert wrongly[0] is Status.FAILED
    assert "`live` should have moved to the changed code" in wrongly[1]


@pytest.mark.slow
def test_a_plain_deploy_never_moves_live(stack: EmbeddedBackend, tmp_path: Path) -> None:
    jobs = PUBLISH.replace("sandbox deploy --publish --yes", "sandbox deploy")
    ctx = on_stack(stack, workspace(tmp_path, jobs, with_lambda=True))
    status, message = check(ctx, plant=[GOOD_CHANGE], live="moved")
    assert status is Status.FAILED
    assert "the run succeeded (1 job)" in message
    assert "`live` should have moved to the changed code (CodeSha256 " in message


@pytest.mark.slow
def test_what_a_run_did_to_live_counts_not_where_live_ends(
    stack: EmbeddedBackend, tmp_path: Path
) -> None:
    """The run releases the change, then rolls it back: `live` ends where it was, yet the
    run moved it (its deploy log says so), which another run's release could not fake."""
    jobs = PUBLISH.replace(
        "sandbox deploy --publish --yes", "sandbox deploy --publish --yes && sandbox rollback --yes"
    )
    ctx = on_stack(stack, workspace(tmp_path, jobs, with_lambda=True))
    check(ctx, plant=[GOOD_CHANGE], change="a first release")  # so there is one to go back to
    moved = check(ctx, plant=[GOOD_CHANGE], change="a bigger page", live="moved")
    assert moved[0] is Status.PASSED, moved[1]
    assert "; it rolled `live` back from version " in moved[1]
    kept = check(ctx, plant=[GOOD_CHANGE], change="a bigger page", live="kept")
    assert kept[0] is Status.FAILED
    assert kept[1].endswith(": `live` should not have moved")


# -- lambda_alias ----------------------------------------------------------------------------


def lambda_folder(root: Path, name: str, limit: int) -> Path:
    folder = root / name / "lambda"
    shutil.copytree(LAMBDA_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    api = folder / "api.py"
    api.write_text(api.read_text().replace("MAX_LIMIT = 100", f"MAX_LIMIT = {limit}"))
    return folder.parent


@pytest.mark.slow
def test_lambda_alias_compares_live_with_a_folder(stack: EmbeddedBackend, tmp_path: Path) -> None:
    released, other = lambda_folder(tmp_path, "a", 111), lambda_folder(tmp_path, "b", 222)
    endpoint = on_stack(stack, released).endpoints["aws"]
    assert publish(endpoint, released / "lambda").released
    status, message = check(on_stack(stack, released), kind="lambda_alias")
    assert status is Status.PASSED
    assert message.startswith("live is on version ")
    assert ", which runs the code in lambda/ (CodeSha256 " in message
    assert check(on_stack(stack, released), kind="lambda_alias", runs=False)[0] is Status.FAILED
    status, message = check(on_stack(stack, other), kind="lambda_alias")
    assert status is Status.FAILED
    assert "which is not the code in lambda/" in message
    assert message.endswith("release it with `sandbox deploy --publish`")
    assert check(on_stack(stack, other), kind="lambda_alias", runs=False)[0] is Status.PASSED


@pytest.mark.slow
def test_lambda_alias_of_a_function_without_it(stack: EmbeddedBackend, tmp_path: Path) -> None:
    ctx = on_stack(stack, lambda_folder(tmp_path, "a", 100))
    status, message = check(ctx, kind="lambda_alias", function="no-such-function")
    assert (status, message) == (
        Status.FAILED,
        "no-such-function has no alias live: release lambda/ with `sandbox deploy --publish`",
    )
    quiet = check(ctx, kind="lambda_alias", function="no-such-function", runs=False)
    assert quiet[0] is Status.PASSED


@pytest.mark.slow
def test_lambda_alias_of_a_folder_without_a_handler(stack: EmbeddedBackend, tmp_path: Path) -> None:
    (tmp_path / "lambda").mkdir()
    status, message = check(on_stack(stack, tmp_path), kind="lambda_alias")
    assert status is Status.FAILED
    assert message.startswith("no handler.py in the Lambda source folder")
