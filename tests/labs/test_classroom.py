"""`sandbox classroom init LAB`: the learner repository's GitHub Classroom workflow.

The workflow is validated against the GitHub workflow schema that check-jsonschema vendors
(pinned in pyproject). Running it end to end with `sandbox pipeline run` comes with the
pipeline runner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]
LAB = "03-serverless"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    return subprocess.run(
        [*SANDBOX, *args], env=env, capture_output=True, text=True, timeout=60, check=False, cwd=cwd
    )


def init(repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run(
        "classroom",
        "init",
        LAB,
        "--dir",
        str(repo),
        "--sandbox-repo",
        "example-school/cloud-sandbox",
        "--sandbox-ref",
        "v0.1.0",
        *extra,
    )


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return list(workflow["jobs"]["run-autograding-tests"]["steps"])


def test_the_workflow_is_a_valid_github_workflow(tmp_path: Path) -> None:
    done = init(tmp_path)
    assert done.returncode == 0, done.stderr
    target = tmp_path / ".github" / "workflows" / "classroom.yml"
    assert f"Wrote {target}" in done.stdout
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_workflow_grades_the_lab_and_hands_the_result_to_the_reporter(tmp_path: Path) -> None:
    init(tmp_path)
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "classroom.yml").read_text())
    found = {step["name"]: step for step in steps(workflow)}
    learner = found["Check out your work as the lab's workspace"]
    assert learner["with"]["path"] == f"workspace/{LAB}"
    sandbox = found["Check out the sandbox (its labs and checks)"]
    assert sandbox["with"] == {
        "repository": "example-school/cloud-sandbox",
        "ref": "v0.1.0",
        "path": ".sandbox-src",
    }
    assert "pip install -e ./.sandbox-src" in found["Install the sandbox"]["run"]
    assert "sandbox up" in found["Start the lab and the embedded stack"]["run"]
    grading = found[f"Grade {LAB}"]
    assert grading["run"] == f"sandbox lab check {LAB} --format github"
    reporter = found["Report to GitHub Classroom"]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"] == {"runners": grading["id"]}
    variable = f"{grading['id'].upper()}_RESULTS"
    expression = "${{ steps." + grading["id"] + ".outputs.result }}"
    assert reporter["env"] == {variable: expression}
    job_env = workflow["jobs"]["run-autograding-tests"]["env"]
    assert job_env["SANDBOX_WORKSPACE"] == "${{ github.workspace }}/workspace"


def test_an_existing_different_workflow_is_kept_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / ".github" / "workflows" / "classroom.yml"
    target.parent.mkdir(parents=True)
    target.write_text("name: mine\n")
    refused = init(tmp_path)
    assert refused.returncode == 1
    assert "exists and differs" in refused.stderr
    assert "--force replaces it" in refused.stderr
    assert target.read_text() == "name: mine\n"
    assert init(tmp_path, "--force").returncode == 0
    assert init(tmp_path, "--json").returncode == 0  # the same text again: nothing to keep


def test_bad_input_says_what_to_do(tmp_path: Path) -> None:
    missing = init(tmp_path / "nope")
    assert (missing.returncode, "give the learner repository" in missing.stderr) == (1, True)
    unknown = run("classroom", "init", "99-nope", "--dir", str(tmp_path), "--sandbox-repo", "a/b")
    assert (unknown.returncode, "give a lab id" in unknown.stderr) == (1, True)
    nowhere = run("classroom", "init", LAB, "--dir", str(tmp_path), "--sandbox-repo", "no-owner")
    assert nowhere.returncode == 1
    assert "--sandbox-repo OWNER/NAME" in nowhere.stderr


def test_json_output_names_the_workflow(tmp_path: Path) -> None:
    done = init(tmp_path, "--json")
    assert json.loads(done.stdout) == {
        "workflow": str(tmp_path / ".github" / "workflows" / "classroom.yml"),
        "lab": LAB,
        "sandbox_repository": "example-school/cloud-sandbox",
        "sandbox_ref": "v0.1.0",
    }
