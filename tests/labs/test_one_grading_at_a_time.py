"""One grading of a stack at a time: a second `lab check` (a `--watch` grader and the TUI,
two terminals) waits for the first and says so, instead of sending its requests into the
first one's faults and restarts. Labs that read only files never wait."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.labs.session import GRADING_LOCK
from tests.labs.test_learner_path import SANDBOX, environment, run

HOLD = """
import sys
from pathlib import Path
from sandbox import processlock
with processlock.hold(Path(sys.argv[1]), "grading 04-microservices", 60):
    print("held", flush=True)
    sys.stdin.readline()  # until the test lets go
"""


@pytest.fixture
def other_grading(learner: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """Another process grading this stack: it holds the lock until its stdin closes."""
    lock = Path(learner["SANDBOX_HOME"]) / GRADING_LOCK
    lock.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline() == "held\n"
    yield process
    process.kill()
    process.wait(timeout=10)
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()


def test_a_second_grading_of_the_stack_waits_for_the_first_and_says_whose_it_is(
    learner: dict[str, str], other_grading: subprocess.Popen[str]
) -> None:
    assert run(learner, "lab", "start", "01-twelve-factor").returncode == 0
    checking = subprocess.Popen(
        [*SANDBOX, "lab", "check", "01-twelve-factor", "--format", "json"],
        env=environment(learner), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert checking.stderr is not None
    note = checking.stderr.readline()  # it waits, and says for whom
    assert note == (
        f"Note: another grading of this stack is running (process {other_grading.pid} "
        "(grading 04-microservices)): waiting for it\n"
    )
    assert checking.poll() is None
    assert other_grading.stdin is not None
    other_grading.stdin.close()  # the first grading ends
    out, _ = checking.communicate(timeout=120)
    assert json.loads(out)["lab"] == "01-twelve-factor"  # then this one graded


def test_a_lab_that_reads_only_files_does_not_wait(
    learner: dict[str, str], other_grading: subprocess.Popen[str]
) -> None:
    assert run(learner, "lab", "start", "02-containers-kubernetes").returncode == 0
    checked = run(learner, "lab", "check", "02-containers-kubernetes", "--format", "json")
    assert checked.returncode == 1  # the starter's mistakes, graded while the lock is held
    assert "another grading" not in checked.stderr
