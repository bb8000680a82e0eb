"""Progress is never lost: not to a second window writing at the same time (a `--watch`
grader and a hint in the TUI), not to a write cut short.

Lab 02 is graded here: its checks read the learner's files only, so no stack is needed.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import atomicfile
from sandbox.config import Settings
from sandbox.labs import loader, session
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import Status
from sandbox.labs.hints import next_hint
from sandbox.labs.model import CheckSpec
from sandbox.labs.progress import LabProgress, ProgressStore
from sandbox.labs.runner import CheckResult

LAB = "02-containers-kubernetes"


def test_a_hint_revealed_while_the_lab_is_graded_is_kept_and_charged_next_time(
    learner: dict[str, str],
) -> None:
    lab, registry = loader.load(LAB)
    settings = Settings.from_env(learner)
    workspace = ws.start(lab, settings.home).workspace
    first_check = next(check for _, check in lab.checks() if check.hints)
    revealed: list[int] = []

    def reveal_once(check: CheckSpec, result: CheckResult | None) -> None:
        # The learner asks for a hint in another window as that check starts (checks run
        # concurrently: this listener is called from several threads).
        if check.id == first_check.id and result is None:
            shown = next_hint(lab, settings.home, first_check.id)
            assert shown is not None
            revealed.append(shown.hint.cost)

    during = session.grade(lab, registry, settings, listener=reveal_once, workspace=workspace)
    kept = ProgressStore(settings.home).get(lab.id)
    assert kept.hints == {first_check.id: 1}
    assert kept.hint_cost == {first_check.id: revealed[0]}
    assert kept.last_score == during.score  # the grading was recorded too

    ws.copy_tree(lab.folder / "solution", workspace, force=True)
    after = session.grade(lab, registry, settings, workspace=workspace)
    assert after.score == lab.total_points - revealed[0]


def test_a_grading_with_the_stack_down_keeps_the_last_score_and_adds_what_passed(
    learner: dict[str, str],
) -> None:
    lab, registry = loader.load("01-twelve-factor")
    workspace = ws.start(lab, Path(learner["SANDBOX_HOME"])).workspace
    settings = Settings.from_env(learner)  # now pointed at the workspace
    earned = LabProgress(last_score=80, best_score=80, max_score=lab.total_points,
                         passed=["ready"])  # fmt: skip
    ProgressStore(settings.home).save(lab.id, earned)
    ws.copy_tree(lab.folder / "solution", workspace, force=True)

    report = session.grade(lab, registry, settings, workspace=workspace)  # no stack running
    assert report.exit_code == 2
    assert report.unreachable
    kept = ProgressStore(settings.home).get(lab.id)
    assert (kept.last_score, kept.best_score) == (80, 80)
    passed_now = {r.id for r in report.results if r.status is Status.PASSED}
    assert kept.passed == sorted(passed_now | {"ready"})


WRITER = """
import sys
from pathlib import Path
from sandbox.labs.checks.base import Status
from sandbox.labs.progress import LabProgress, ProgressStore

store, name = ProgressStore(Path(sys.argv[1])), sys.argv[2]
for _ in range(int(sys.argv[3])):
    with store.update("lab") as progress:
        progress.hint_cost[name] = progress.hint_cost.get(name, 0) + 1
        progress.passed = sorted(set(progress.passed) | {name})
"""


def test_writers_in_several_processes_lose_none_of_each_others_changes(tmp_path: Path) -> None:
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"w{n}", "40"])
        for n in range(4)
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0, 0, 0]
    kept = ProgressStore(tmp_path).get("lab")
    assert kept.hint_cost == {"w0": 40, "w1": 40, "w2": 40, "w3": 40}
    assert kept.passed == ["w0", "w1", "w2", "w3"]


def test_a_write_that_fails_leaves_the_old_file_whole_and_no_temporary_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "progress.json"
    atomicfile.write_text(target, json.dumps({"lab": {"best_score": 40}}))
    with pytest.raises(UnicodeEncodeError):  # fails halfway through writing
        atomicfile.write_text(target, '{"lab": "' + "x" * 70_000 + '\udc80"}')
    assert json.loads(target.read_text()) == {"lab": {"best_score": 40}}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json"]


def test_a_rewritten_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "progress.json"
    old_umask = os.umask(0o022)
    try:
        atomicfile.write_text(target, "{}")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_progress_restored_from_a_snapshot_merges_under_the_same_lock(tmp_path: Path) -> None:
    from sandbox.snapshots import labs_part

    home, unpacked = tmp_path / "home", tmp_path / "unpacked"
    ProgressStore(home).save("a", LabProgress(best_score=9, hints={"x": 1}))
    saved = unpacked / labs_part.FOLDER / labs_part.PROGRESS
    saved.parent.mkdir(parents=True)
    theirs = {"a": {"best_score": 5, "hints": {"x": 2}}, "b": {"last_score": 3, "max_score": 7}}
    saved.write_text(json.dumps(theirs))
    labs_part.restore(home, unpacked)
    both = ProgressStore(home).load()
    assert (both["a"].best_score, both["a"].hints) == (9, {"x": 2})
    assert (both["b"].last_score, both["b"].max_score) == (3, 7)
