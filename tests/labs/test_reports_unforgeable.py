"""Reports learners cannot forge: the checks come from the sandbox's labs folder, every report
says what graded it (sha256 of the lab definition and check modules, the sandbox version, the
time, the score), `sandbox lab verify` recomputes it, and an instructor's key signs it.

Lab 02 is graded here: its checks read the learner's files only, so no stack is needed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sandbox import __version__
from sandbox.config import Settings
from sandbox.labs import loader, reports, session
from sandbox.labs import workspace as ws
from sandbox.labs.verify import verify

LAB = "02-containers-kubernetes"
# The installed console script: it puts no working folder on sys.path, as a learner runs it.
SANDBOX = [str(Path(sys.executable).parent / "sandbox")]


def run(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}, **env}
    if "PYTHONPATH" in full:  # made absolute: a relative entry would name the workspace
        full["PYTHONPATH"] = os.pathsep.join(
            map(os.path.abspath, full["PYTHONPATH"].split(os.pathsep))
        )
    return subprocess.run(
        [*SANDBOX, *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def outcomes(report_json: str) -> dict[str, tuple[str, int]]:
    return {c["id"]: (c["status"], c["points"]) for c in json.loads(report_json)["checks"]}


def plant_forged_checks(workspace: Path) -> None:
    """What a learner might try: a lab file whose every check passes, a check module that
    passes everything, and a shadow of the sandbox's own check kinds."""
    forged = {
        "id": LAB,
        "title": "forged",
        "summary": "everything passes",
        "python_checks": "checks.py",
        "steps": [
            {
                "id": "all",
                "title": "all",
                "instructions": "lab.yaml",
                "checks": [
                    {
                        "id": "df-pinned-base",
                        "kind": "file",
                        "title": "t",
                        "points": 999,
                        "path": "lab.yaml",
                    }
                ],
            }
        ],
    }
    (workspace / "lab.yaml").write_text(json.dumps(forged))
    always = "def register(registry):\n    raise SystemExit('forged checks were imported')\n"
    (workspace / "checks.py").write_text(always)
    kinds = workspace / "sandbox" / "labs" / "checks"
    kinds.mkdir(parents=True)
    for folder in (workspace / "sandbox", workspace / "sandbox" / "labs", kinds):
        (folder / "__init__.py").write_text("raise SystemExit('a forged sandbox was imported')\n")


def test_checks_planted_in_the_workspace_change_nothing(learner: dict[str, str]) -> None:
    assert run(learner, "lab", "start", LAB).returncode == 0
    workspace = Path(learner["SANDBOX_WORKSPACE"]) / LAB
    honest = run(learner, "lab", "check", LAB, "--format", "json", cwd=workspace)
    assert honest.returncode == 1  # the starter fails some checks
    plant_forged_checks(workspace)
    forged = run(learner, "lab", "check", LAB, "--format", "json", cwd=workspace)
    assert (forged.returncode, forged.stderr) == (1, "")
    assert outcomes(forged.stdout) == outcomes(honest.stdout)
    assert json.loads(forged.stdout)["score"] == json.loads(honest.stdout)["score"]


def test_a_lab_folder_given_as_a_path_is_refused(learner: dict[str, str]) -> None:
    run(learner, "lab", "start", LAB)
    workspace = Path(learner["SANDBOX_WORKSPACE"]) / LAB
    plant_forged_checks(workspace)
    refused = run(learner, "lab", "check", str(workspace))
    assert refused.returncode == 2
    assert "give a lab id, one of:" in refused.stderr


def test_labs_loaded_from_inside_the_workspace_are_refused(tmp_path: Path) -> None:
    from sandbox.errors import SandboxError

    lab, registry = loader.load(LAB)
    home = tmp_path / "home"
    with pytest.raises(SandboxError) as caught:
        session.grade(
            lab,
            registry,
            Settings.from_env({"SANDBOX_HOME": str(home)}),
            workspace=lab.folder.parent,
        )
    assert "would be loaded from your workspace" in caught.value.render()


def graded(env: dict[str, str], key: str | None) -> dict[str, Any]:
    lab, registry = loader.load(LAB)
    settings = Settings.from_env(env)
    workspace = ws.start(lab, settings.home).workspace
    report = session.grade(lab, registry, settings, workspace=workspace)
    document: dict[str, Any] = json.loads(reports.render(report, "json", key))
    return document


def test_every_report_says_what_graded_it(learner: dict[str, str]) -> None:
    document = graded(learner, None)
    stamp = document["provenance"]
    assert stamp["sandbox_version"] == __version__
    assert stamp["graded_at"].endswith("+00:00")
    assert len(stamp["sha256"][f"{LAB}/lab.yaml"]) == 64
    assert "sandbox/labs/checks/static_kinds.py" in stamp["sha256"]
    assert document["score"] == sum(c["points"] for c in document["checks"])
    assert "signature" not in document
    assert verify(document, None).ok


def test_a_signed_report_verifies_with_its_key(learner: dict[str, str]) -> None:
    document = graded(learner, "instructor-key")
    assert document["signature"]["algorithm"] == "HMAC-SHA256"
    verdict = verify(document, "instructor-key")
    assert (verdict.ok, verdict.signed) == (True, True)


def test_an_edited_score_fails_verification(learner: dict[str, str]) -> None:
    document = graded(learner, "instructor-key")
    document["score"] = document["max_score"]
    problems = verify(document, "instructor-key").problems
    assert any("the signature does not match" in p for p in problems)
    assert any(p.startswith("the score says") for p in problems)


def test_an_edited_check_result_fails_verification_even_when_it_adds_up(
    learner: dict[str, str],
) -> None:
    document = graded(learner, "instructor-key")
    failed = next(c for c in document["checks"] if c["status"] == "failed")
    failed["status"], failed["points"] = "passed", failed["max_points"]
    document["score"] += failed["max_points"]
    assert verify(document, "instructor-key").problems == [
        "the signature does not match: the report was edited after grading, or signed with "
        "another key"
    ]


def test_a_wrong_key_or_a_missing_signature_fails_verification(learner: dict[str, str]) -> None:
    signed = graded(learner, "instructor-key")
    assert "the signature does not match" in verify(signed, "another-key").problems[0]
    unsigned = {k: v for k, v in signed.items() if k != "signature"}
    assert "the report is not signed" in verify(unsigned, "instructor-key").problems[0]
    assert "SANDBOX_GRADER_KEY is not set here" in verify(signed, None).problems[0]


def test_an_edited_lab_file_or_check_module_fails_verification(
    learner: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labs = tmp_path / "labs"
    shutil.copytree(loader.labs_root() / LAB, labs / LAB, symlinks=True)
    lab_file = labs / LAB / "lab.yaml"
    lab_file.write_text(lab_file.read_text() + "python_checks: checks.py\n")
    (labs / LAB / "checks.py").write_text("def register(registry):\n    pass\n")
    monkeypatch.setenv("SANDBOX_LABS_DIR", str(labs))
    document = graded(learner, "instructor-key")
    assert verify(document, "instructor-key").ok
    (labs / LAB / "checks.py").write_text("def register(registry):\n    pass  # easier\n")
    lab_file.write_text(lab_file.read_text() + "# a quiet edit\n")
    problems = verify(document, "instructor-key").problems
    assert any(p.startswith(f"{LAB}/checks.py: its sha256 differs") for p in problems)
    assert any(p.startswith(f"{LAB}/lab.yaml: its sha256 differs") for p in problems)


def test_verify_and_save_on_the_command_line(learner: dict[str, str], tmp_path: Path) -> None:
    signing = {**learner, "SANDBOX_GRADER_KEY": "instructor-key"}
    run(signing, "lab", "start", LAB)
    saved = tmp_path / "report.json"
    assert run(signing, "lab", "check", LAB, "--save", str(saved)).returncode == 1
    assert json.loads(saved.read_text())["signature"]["algorithm"] == "HMAC-SHA256"
    good = run(signing, "lab", "verify", str(saved))
    assert (good.returncode, "verified" in good.stdout) == (0, True)
    document = json.loads(saved.read_text())
    document["checks"][0]["message"] = "edited"
    saved.write_text(json.dumps(document))
    bad = run(signing, "lab", "verify", str(saved), "--json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["verified"] is False
    wrong = run(learner, "lab", "verify", str(tmp_path / "nope.json"))
    assert (wrong.returncode, "cannot read" in wrong.stderr) == (1, True)


def test_github_format_writes_the_result_for_the_classroom_reporter(
    learner: dict[str, str], tmp_path: Path
) -> None:
    run(learner, "lab", "start", LAB)
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    done = run({**learner, "GITHUB_OUTPUT": str(output)}, "lab", "check", LAB, "--format", "github")
    assert done.returncode == 1
    earlier, line = output.read_text().splitlines()
    assert (earlier, line.startswith("result=")) == ("earlier=1", True)
    result = json.loads(base64.b64decode(line.removeprefix("result=")))
    assert result == json.loads(done.stdout)
    assert (result["version"], result["status"], result["max_score"]) == (1, "fail", 100)
    test = result["tests"][0]
    assert set(test) >= {"name", "status", "score", "max_score", "message", "test_code"}
    assert sum(t["score"] for t in result["tests"]) < 100


PEEK = """\
name: CI
on: push
jobs:
  peek:
    runs-on: ubuntu-latest
    steps:
      - run: echo "key=${SANDBOX_GRADER_KEY:-withheld}"
"""


def test_the_learners_workflow_cannot_read_the_instructors_key(
    learner: dict[str, str], tmp_path: Path
) -> None:
    # Lab 05 runs the learner's workflow this way; the learner's app, Lambda and tests are
    # started by the same command-line process, and inherit the same environment.
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(PEEK)
    signing = {**learner, "SANDBOX_GRADER_KEY": "instructor-key"}
    ran = run(signing, "pipeline", "run", cwd=repo)
    assert ran.returncode == 0, ran.stderr
    assert "key=withheld" in ran.stdout
    assert "instructor-key" not in ran.stdout + ran.stderr
