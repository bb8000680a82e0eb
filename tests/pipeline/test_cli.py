"""`sandbox pipeline run|check` as a person or a program uses it: progress, the summary
table, --json, exit codes, and errors without a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner, Result

from sandbox.cli import cli
from tests.helpers import ctrl_c_works, wait_for
from tests.pipeline.conftest import write_workflow

GREEN = """
    name: CI
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        outputs:
          version: ${{ steps.v.outputs.version }}
        steps:
          - uses: actions/checkout@v4
          - id: v
            name: Stamp
            run: echo "version=2.0" >> "$GITHUB_OUTPUT" && echo stamped
"""
RED = """
    name: CI
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - name: Tests
            run: echo "1 failed" && exit 1
"""


@pytest.fixture
def in_repo(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    monkeypatch.setenv("SANDBOX_HOME", str(tmp_path / "home"))
    return repo


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["pipeline", *args], catch_exceptions=False)


def test_a_green_run_prints_progress_and_a_summary_and_exits_0(in_repo: Path) -> None:
    write_workflow(in_repo, GREEN)
    result = invoke("run")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "-- [build 2/2] Stamp" in lines
    assert "   | stamped" in lines
    assert any(line.startswith("JOB") and "STEP" in line and "RESULT" in line for line in lines)
    assert lines[-1].startswith("CI: success (1 success) in ")


def test_a_red_run_exits_1(in_repo: Path) -> None:
    write_workflow(in_repo, RED)
    result = invoke("run")
    assert result.exit_code == 1
    assert "test: step `Tests` failed: exit code 1" in result.stdout


def test_json_gives_jobs_steps_outcomes_durations_and_outputs(in_repo: Path) -> None:
    write_workflow(in_repo, GREEN)
    result = invoke("run", "--json")
    body = json.loads(result.stdout)
    assert body["conclusion"] == "success"
    [job] = body["jobs"]
    assert (job["id"], job["conclusion"], job["outputs"]) == (
        "build",
        "success",
        {"version": "2.0"},
    )
    stamp = job["steps"][1]
    assert {k: stamp[k] for k in ("name", "id", "outcome", "conclusion", "outputs")} == {
        "name": "Stamp",
        "id": "v",
        "outcome": "success",
        "conclusion": "success",
        "outputs": {"version": "2.0"},
    }
    assert stamp["duration_s"] >= 0
    assert stamp["log_tail"] == ["stamped"]
    assert "   | stamped" in result.stderr  # the live output goes to stderr with --json


def test_json_for_a_workflow_that_cannot_run_lists_the_problems(in_repo: Path) -> None:
    write_workflow(in_repo, "on: push\njobs:\n  a:\n    steps: [{run: x}]\n")
    result = invoke("run", "--json")
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body["problems"] == [
        {
            "file": ".github/workflows/ci.yml",
            "line": 3,
            "message": "`jobs.a` has no `runs-on`: add it",
        }
    ]


def test_check_validates_without_running(in_repo: Path) -> None:
    write_workflow(in_repo, RED)
    result = invoke("check")
    assert (result.exit_code, result.stdout) == (
        0,
        ".github/workflows/ci.yml: valid (1 jobs: test)\n",
    )


def test_without_a_file_and_with_several_workflows_it_asks_which(in_repo: Path) -> None:
    write_workflow(in_repo, GREEN)
    write_workflow(in_repo, RED, "release.yml")
    result = invoke("run")
    assert result.exit_code == 2
    assert "2 workflows in .github/workflows/" in result.stderr


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        ("on: push\njobs:\n  a:\n    runs-on: [\n", [], "ci.yml:5: YAML syntax error"),
        (GREEN, ["--job", "deploy"], "has no job `deploy`\n  -> use one of build"),
    ],
    ids=["yaml-does-not-parse", "unknown-job"],
)  # fmt: skip
def test_bad_input_is_a_clear_error_without_traceback(
    in_repo: Path, text: str, args: list[str], expected: str
) -> None:
    write_workflow(in_repo, text)
    done = subprocess.run(
        [sys.executable, "-c", "from sandbox.cli import main; main()", "pipeline", "run", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_ctrl_c_stops_the_step_with_its_processes_and_exits_130(in_repo: Path) -> None:
    pid_file = in_repo / "background.pid"
    write_workflow(
        in_repo,
        f"""
        on: push
        jobs:
          slow:
            runs-on: ubuntu-latest
            steps:
              - run: sleep 300 & echo $! > {pid_file}; sleep 300
              - run: echo never
    """,
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", "from sandbox.cli import main; main()", "pipeline", "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        preexec_fn=ctrl_c_works,
    )
    try:
        assert wait_for(pid_file.exists, timeout=30)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "interrupted (Ctrl-C)" in output
    assert "cancelled: Run echo never" in output
    background = int(pid_file.read_text())
    assert wait_for(lambda: not _alive(background), timeout=5)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
