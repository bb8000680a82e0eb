"""`sandbox lab check LAB --watch`: a workspace edit grades again, and only what changed is
shown."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

from sandbox.labs import reports, watch
from sandbox.labs.checks.base import CheckContext, Status
from sandbox.labs.loader import load
from sandbox.labs.runner import CheckResult, LabReport, run_lab
from sandbox.labs.stamp import stamp
from tests.helpers import ctrl_c_works
from tests.labs.test_loader import GOOD, write_lab

LAB = "02-containers-kubernetes"
SANDBOX = [str(Path(sys.executable).parent / "sandbox")]


def result(check_id: str, status: Status, points: int) -> CheckResult:
    return CheckResult(check_id, check_id, "s", status, "why", points, 10, 0.01, 1)


def test_only_the_checks_whose_outcome_changed_are_changes() -> None:
    before = LabReport(
        "09-demo", "Demo", [result("a", Status.FAILED, 0), result("b", Status.PASSED, 10)]
    )
    after = LabReport(
        "09-demo", "Demo", [result("a", Status.PASSED, 10), result("b", Status.PASSED, 10)]
    )
    [changed] = watch.changes(before, after)
    assert (changed.id, changed.before, changed.result.status) == (
        "a",
        Status.FAILED,
        Status.PASSED,
    )
    assert watch.changes(after, after) == []
    assert len(watch.changes(None, after)) == 2
    text = reports.changes_text(before, after, watch.changes(before, after))
    assert text.splitlines() == [
        "  FAIL -> PASS  a                             10/10  a",
        "score 20/20 (+10)",
    ]
    assert reports.changes_text(after, after, []) == "no check changed: score 20/20"


def test_the_stamp_changes_with_a_file_and_ignores_caches(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    first = stamp(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    assert stamp(tmp_path) == first
    (tmp_path / "app.py").write_text("x = 2  # longer\n")
    assert stamp(tmp_path) != first


def test_an_edit_grades_again(tmp_path: Path) -> None:
    lab, registry = load(write_lab(tmp_path, GOOD))
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    context = CheckContext(workspace=workspace, lab_dir=lab.folder)
    shown: list[list[str]] = []
    done = threading.Event()

    def show(before: LabReport | None, after: LabReport, changed: list[watch.Changed]) -> None:
        shown.append([f"{c.id} {c.before} -> {c.result.status}" for c in changed])
        if len(shown) == 1:
            (workspace / "README.md").write_text("# now it exists\n")
        else:
            done.set()

    watcher = threading.Thread(
        target=watch.watch,
        args=(
            workspace,
            lambda: run_lab(lab, registry, context),
            show,
            done.is_set,
            lambda err: None,
        ),
        daemon=True,
    )
    watcher.start()
    assert done.wait(30)
    watcher.join(5)
    assert shown == [["readme None -> failed"], ["readme failed -> passed"]]


def test_watch_on_the_command_line(learner: dict[str, str]) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}, **learner}
    subprocess.run([*SANDBOX, "lab", "start", LAB], env=env, capture_output=True, check=True)
    dockerfile = Path(learner["SANDBOX_WORKSPACE"]) / LAB / "Dockerfile"
    command = [*SANDBOX, "lab", "check", LAB, "--watch"]
    with subprocess.Popen(
        command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        preexec_fn=ctrl_c_works,
    ) as process:  # fmt: skip
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True
        ).start()
        try:
            assert "score 0/100" in read_until(lines, "score ")
            text = dockerfile.read_text().replace("FROM python:latest", "FROM python:3.12.8-slim")
            dockerfile.write_text(text)
            changed = read_until(lines, "score ")
            assert "FAIL -> PASS  df-pinned-base" in changed
            assert "df-non-root" not in changed  # still failing: not shown again
            assert "score 6/100 (+6)" in changed
        finally:
            process.send_signal(signal.SIGINT)
            try:
                stopped = process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()  # else leaving the `with` would wait for it forever
                raise
            assert stopped == 0


def read_until(lines: queue.Queue[str], marker: str) -> str:
    seen = []
    while True:
        line = lines.get(timeout=60)
        seen.append(line)
        if line.startswith(marker):
            return "".join(seen)
