"""A learner's whole path through lab 01 on a stack of their own, and through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.labs import loader, session
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import Status
from sandbox.labs.hints import next_hint
from sandbox.labs.progress import ProgressStore
from sandbox.stack.embedded import EmbeddedBackend

pytestmark = pytest.mark.slow
SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]


def test_lab_01_from_starter_to_full_points(learner: dict[str, str]) -> None:
    lab, registry = loader.load("01-twelve-factor")
    home = Path(learner["SANDBOX_HOME"])
    info = ws.start(lab, home)
    assert "app/__init__.py" in info.copied
    settings = Settings.from_env(learner)
    assert settings.app_dir == info.workspace  # the stack will run the learner's app
    EmbeddedBackend(settings).start()

    first = session.grade(lab, registry, settings)
    failed = {r.id: r.message for r in first.results if r.status is Status.FAILED}
    assert first.exit_code == 1
    assert "expected status 409, got 500" in failed["duplicate-email-409"]
    assert "GET /metrics: it answered 404" in failed["request-metrics"]
    assert "not a JSON line" in failed["json-logs"]

    revealed = next_hint(lab, home, "ready")
    assert revealed is not None
    assert revealed.hint.cost == 2

    ws.copy_tree(lab.folder / "solution", info.workspace, force=True)
    second = session.grade(lab, registry, settings)
    assert [r.id for r in second.results if r.status is not Status.PASSED] == []
    assert second.score == lab.total_points - 2  # the hint's cost

    backend = EmbeddedBackend(settings)
    backend.stop()
    backend.start()
    kept = ProgressStore(home).get(lab.id)
    assert kept.best_score == lab.total_points - 2
    assert kept.hints == {"ready": 1}


def environment(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without its SANDBOX_ settings, then the learner's."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}, **env}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SANDBOX, *args], env=environment(env), capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


def test_lab_commands(learner: dict[str, str]) -> None:
    listed = json.loads(run(learner, "lab", "list", "--json").stdout)
    assert "01-twelve-factor" in [row["id"] for row in listed]
    shown = run(learner, "lab", "show", "01-twelve-factor").stdout
    assert "Health and readiness" in shown
    assert "[duplicate-email-409]" in shown

    started = run(learner, "lab", "start", "01-twelve-factor")
    assert "Your workspace:" in started.stdout
    assert "The stack is not running" in started.stdout
    edited = Path(learner["SANDBOX_WORKSPACE"]) / "01-twelve-factor" / "app" / "__init__.py"
    edited.write_text(edited.read_text() + "\n# my edit\n")
    again = run(learner, "lab", "start", "01-twelve-factor")
    assert "Kept your edits to: app/__init__.py" in again.stdout
    assert "# my edit" in edited.read_text()

    down = run(learner, "lab", "check", "01-twelve-factor", "--format", "json")
    assert down.returncode == 2  # the stack is down: could not grade
    assert json.loads(down.stdout)["exit_code"] == 2

    hint = run(learner, "lab", "hint", "01-twelve-factor", "json-logs")
    assert "hint 1" in hint.stdout
    status = json.loads(run(learner, "lab", "status", "--json").stdout)
    assert status["01-twelve-factor"]["hints_used"] == 1

    bad_step = run(learner, "lab", "check", "01-twelve-factor", "nosuchstep")
    assert bad_step.returncode == 2
    assert "has no step 'nosuchstep'" in bad_step.stderr
    unknown = run(learner, "lab", "check", "99-missing")
    assert (unknown.returncode, "no lab '99-missing'" in unknown.stderr) == (2, True)

    reset = run(learner, "lab", "reset", "01-twelve-factor", "--yes")
    assert reset.returncode == 0
    assert not edited.exists()


def test_starting_another_lab_keeps_the_first_labs_code_in_the_stack(tmp_path: Path) -> None:
    home, root = tmp_path / "home", tmp_path / "workspace"
    first, _ = loader.load("01-twelve-factor")
    ws.start(first, home, root=root)
    for other in ("02-containers-kubernetes", "03-serverless"):
        if other in loader.lab_ids():
            ws.start(loader.load(other)[0], home, root=root)
    settings = Settings.from_env({"SANDBOX_HOME": str(home)})
    assert settings.app_dir == root / "01-twelve-factor"


def test_grading_refuses_a_stack_running_other_code(tmp_path: Path) -> None:
    from sandbox.errors import SandboxError

    lab, registry = loader.load("01-twelve-factor")
    settings = Settings.from_env({"SANDBOX_HOME": str(tmp_path / "home")})  # not pointed
    (tmp_path / "ws").mkdir()
    with pytest.raises(SandboxError) as caught:
        session.grade(lab, registry, settings, workspace=tmp_path / "ws")
    assert "not your 01-twelve-factor workspace" in caught.value.render()
    assert "sandbox lab start 01-twelve-factor" in caught.value.render()
