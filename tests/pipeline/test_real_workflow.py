"""A real project's CI workflow (GitHub's "Python package" starter, see the fixture's header)
run as far as it can offline: the matrix leg for another Python fails at setup-python, the
other leg installs, lints and tests, and the Codecov upload is reported as not run locally.

pip is kept offline and dry (PIP_NO_INDEX, PIP_DRY_RUN): the install step runs for real and
reaches no index, and installs nothing into this environment.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.pipeline.conftest import Runner

PROJECT = Path(__file__).parent / "fixtures" / "python-package"


def test_the_python_package_workflow_runs_as_far_as_it_can_offline(
    run_yaml: Runner, repo: Path
) -> None:
    shutil.copytree(PROJECT, repo, dirs_exist_ok=True)
    offline = {"PIP_NO_INDEX": "1", "PIP_DRY_RUN": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    ran = run_yaml((PROJECT / "ci.yml").read_text(), env=offline)

    old, current = ran.result.jobs
    assert (old.name, str(old.conclusion)) == ("build (3.10)", "failure")
    assert old.steps[1].message.startswith("actions/setup-python@v5: python-version 3.10 is not")
    assert [str(s.conclusion) for s in old.steps[2:]] == ["skipped"] * 4

    assert current.name == "build (3.x)"
    assert {s.name: str(s.outcome) for s in current.steps} == {
        "Run actions/checkout@v4": "success",
        "Set up Python 3.x": "success",
        "Install dependencies": "success",
        "Lint with ruff": "success",
        "Test with pytest": "success",
        "Upload coverage to Codecov": "failure",
    }
    upload = current.steps[-1]
    assert upload.not_run_locally
    assert upload.message.startswith("not run locally: codecov/codecov-action@v4")
    assert "1 passed" in ran.output
    assert str(ran.result.conclusion) == "failure"
