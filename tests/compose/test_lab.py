"""Lab 01 graded under compose: `lab start` makes the app container run the learner's
workspace, `lab check` grades it there, `lab stop` puts the project's app back."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
import requests

from tests.compose.conftest import REPO, ComposeStack

pytestmark = pytest.mark.compose
LAB = "01-twelve-factor"


def grade(stack: ComposeStack) -> dict[str, Any]:
    result = stack.run("lab", "check", LAB, "--format", "json", timeout=600)
    assert result.returncode in (0, 1), f"could not grade:\n{result.stderr}"
    return dict(json.loads(result.stdout))


def environment(stack: ComposeStack) -> str:
    return str(requests.get(stack.url("app") + "/health", timeout=10).json()["environment"])


def test_lab_01_graded_in_the_app_container(running: ComposeStack) -> None:
    running.ok("lab", "start", LAB)
    assert environment(running) == "development"  # the starter's own, hard-coded

    shutil.copytree(REPO / "labs" / LAB / "solution", running.workspace / LAB, dirs_exist_ok=True)
    report = grade(running)  # restarts the app on the edited code first
    not_passed = {
        r["id"]: f"{r['status']}: {r['message']}"
        for r in report["checks"]
        if r["status"] != "passed"
    }
    assert not_passed == {}, f"the solution did not pass under compose: {not_passed}"
    assert report["score"] == report["max_score"]

    running.ok("lab", "stop")
    assert environment(running) == "sandbox"  # the project's app again
    assert requests.get(running.url("app") + "/ready", timeout=10).status_code == 200
