"""Starting, leaving and resetting a lab on a running stack, through the CLI as a learner
types it: only what changed restarts, the work is kept, and nothing is left crash-looping."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from tests.labs.test_learner_path import run

pytestmark = pytest.mark.slow
LAB = "01-twelve-factor"


def status(env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    return json.loads(run(env, "status", "--json").stdout)  # type: ignore[no-any-return]


def pids(env: dict[str, str]) -> dict[str, int]:
    return {name: s["pid"] for name, s in status(env)["services"].items()}


def metrics_status(env: dict[str, str]) -> int:
    """200 from the project's app; the lab's starter has no /metrics (404)."""
    url = status(env)["services"]["app"]["url"]
    return requests.get(url + "/metrics", timeout=5).status_code


def running_labs(env: dict[str, str]) -> list[str]:
    rows = json.loads(run(env, "lab", "status", "--json").stdout)
    return [lab for lab, row in rows.items() if row["running"]]


def test_resetting_the_running_lab_leaves_it_first_and_the_app_stays_healthy(
    learner: dict[str, str],
) -> None:
    """The sequence that used to crash-loop the app until down/up."""
    assert run(learner, "up").returncode == 0
    assert run(learner, "lab", "start", LAB).returncode == 0
    assert run(learner, "lab", "check", LAB).returncode == 1  # the starter fails some checks
    reset = run(learner, "lab", "reset", LAB, "--yes")
    assert reset.returncode == 0, reset.stderr
    assert "The app was restarted so it runs the project's own code." in reset.stdout
    assert not (Path(learner["SANDBOX_WORKSPACE"]) / LAB).exists()

    restarts = status(learner)["services"]["app"]["restarts"]
    time.sleep(3)  # long enough for a crash loop to show
    after = status(learner)
    assert after["all_healthy"] is True
    assert after["services"]["app"]["restarts"] == restarts
    assert metrics_status(learner) == 200
    assert run(learner, "status").returncode == 0


def test_leaving_a_lab_keeps_the_work_and_restarts_only_the_app(
    learner: dict[str, str],
) -> None:
    assert run(learner, "up").returncode == 0
    started = run(learner, "lab", "start", LAB)
    assert "The app was restarted so it runs your code." in started.stdout
    assert metrics_status(learner) == 404
    assert running_labs(learner) == [LAB]
    assert f"The stack runs your {LAB} workspace." in run(learner, "lab", "status").stdout
    edited = Path(learner["SANDBOX_WORKSPACE"]) / LAB / "app" / "__init__.py"
    edited.write_text(edited.read_text() + "\n# my edit\n")
    before = pids(learner)

    left = run(learner, "lab", "stop")
    assert left.returncode == 0, left.stderr
    assert f"Left {LAB}: your work stays in" in left.stdout
    after = pids(learner)
    assert {k: after[k] for k in ("postgres", "redis", "aws")} == {
        k: before[k] for k in ("postgres", "redis", "aws")
    }
    assert after["app"] != before["app"]
    assert metrics_status(learner) == 200
    assert "# my edit" in edited.read_text()
    assert running_labs(learner) == []
    assert "No lab is running" in run(learner, "lab", "stop").stdout

    back = run(learner, "lab", "start", LAB)
    assert "Kept your edits to: app/__init__.py" in back.stdout
    assert metrics_status(learner) == 404


def test_leaving_a_lab_while_the_stack_is_down_says_up_runs_the_project_code(
    learner: dict[str, str],
) -> None:
    assert run(learner, "lab", "start", LAB).returncode == 0
    left = run(learner, "lab", "stop", LAB, "--json")
    assert json.loads(left.stdout) == {"left": [LAB], "changes": ["stack not running"]}
    assert running_labs(learner) == []


def test_checking_a_lab_never_started_says_to_start_it(learner: dict[str, str]) -> None:
    checked = run(learner, "lab", "check", "02-containers-kubernetes", "--format", "json")
    assert (checked.returncode, checked.stdout) == (2, "")
    assert "02-containers-kubernetes is not started here" in checked.stderr
    assert "run `sandbox lab start 02-containers-kubernetes`" in checked.stderr
    assert checked.stderr.count("\n") <= 2  # one message, not one per check
