"""Snapshots in labs: a lab that ships its starting data, per-step undo, and a load while a
lab is running (allowed: the learner's files and code stay, progress is never lowered, and
the load itself can be undone)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.config import read_overrides
from sandbox.labs import loader
from sandbox.labs.progress import LabProgress, ProgressStore
from sandbox.labs.validate import validate
from sandbox.snapshots import engine, store
from tests.conftest import LAMBDA_DIR
from tests.snapshots.conftest import Stack, labels, put_everything

LAB = "90-snapshots"
LAB_YAML = f"""
id: {LAB}
title: A lab that starts from prepared data
summary: The fixture puts notes in S3; the learner writes notes.txt.
fixture: fixture.snapshot
services: [aws]
workspace:
  lambda: lambda
steps:
  - id: first
    title: Find the notes
    instructions: steps/first.md
    checks:
      - id: fixture-notes
        kind: s3_object
        title: the notes the lab starts with are in S3
        bucket: snap-files
        key: note-0.txt
        contains: fixture
  - id: second
    title: Write yours
    instructions: steps/second.md
    checks:
      - id: notes-file
        kind: file
        title: notes.txt says done
        path: notes.txt
        contains: done
        must_fail_on_starter: true
"""
FIXTURE = {key: {"fixture"} for key in ("rows", "keys", "items", "objects")}


@pytest.fixture(scope="module")
def lab_env(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A labs folder holding one lab whose fixture is a snapshot of "fixture" data."""
    root = tmp_path_factory.mktemp("labs")
    folder = root / LAB
    for variant, notes in (("starter", "todo\n"), ("solution", "done\n")):
        (folder / variant).mkdir(parents=True)
        (folder / variant / "lambda").symlink_to(LAMBDA_DIR)
        (folder / variant / "notes.txt").write_text(notes)
    (folder / "steps").mkdir()
    for step in ("first", "second"):
        (folder / "steps" / f"{step}.md").write_text(f"# {step}\n")
    (folder / "lab.yaml").write_text(textwrap.dedent(LAB_YAML))
    put_everything(stack, "fixture", count=3)
    engine.save(stack.settings, stack.backend, "lab-fixture")
    store.Store(stack.settings).export("lab-fixture", folder / "fixture.snapshot", force=False)
    extra = {"SANDBOX_LABS_DIR": str(root)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SANDBOX_LABS_DIR", str(root))
        yield extra
        stack.run("lab", "stop", extra=extra)


@pytest.fixture(scope="module")
def started(stack: Stack, lab_env: dict[str, str]) -> str:
    put_everything(stack, "learner", count=2)
    answer = stack.run("lab", "start", LAB, extra=lab_env)
    assert answer.returncode == 0, answer.stderr
    return answer.stdout


def test_starting_the_lab_loads_its_starting_data_and_saves_the_first_undo_point(
    stack: Stack, started: str
) -> None:
    assert "loaded the lab's starting data from fixture.snapshot" in started
    assert "undo point saved for step first" in started
    assert labels(stack) == FIXTURE
    before = [e for e in store.Store(stack.settings).entries() if e.manifest.kind == "before-load"]
    assert before  # the learner's own data was saved before the fixture replaced it


def test_starting_the_lab_again_keeps_the_learners_data(
    stack: Stack, started: str, lab_env: dict[str, str]
) -> None:
    put_everything(stack, "work", count=2)
    again = stack.run("lab", "start", LAB, extra=lab_env)
    assert again.returncode == 0, again.stderr
    assert "starting data" not in again.stdout
    assert labels(stack) == {key: {"work"} for key in FIXTURE}


def test_undo_goes_back_to_the_start_of_the_step_and_leaves_the_files(
    stack: Stack, started: str, lab_env: dict[str, str]
) -> None:
    notes = Path(stack.env["SANDBOX_WORKSPACE"]) / LAB / "notes.txt"
    notes.write_text("my own words\n")
    put_everything(stack, "broken", count=1)

    undone = stack.run("lab", "undo", LAB, "--json", extra=lab_env)

    assert undone.returncode == 0, undone.stderr
    answer = json.loads(undone.stdout)
    assert answer["step"] == "first"
    assert labels(stack) == FIXTURE
    assert notes.read_text() == "my own words\n"
    assert answer["before_load"]  # the undo can itself be undone


def test_a_check_that_finishes_a_step_saves_the_next_steps_undo_point(
    stack: Stack, started: str, lab_env: dict[str, str]
) -> None:
    assert labels(stack)["objects"] == {"fixture"}
    checked = stack.run("lab", "check", LAB, "first", extra=lab_env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "undo point saved for step second" in checked.stderr
    assert store.Store(stack.settings).path(f"step-{LAB}-second").is_file()


def test_a_load_while_the_lab_runs_keeps_its_code_files_and_progress(
    stack: Stack, started: str, lab_env: dict[str, str]
) -> None:
    home = stack.settings.home
    pointed = read_overrides(home)
    progress = ProgressStore(home)
    earned = progress.get(LAB)
    earned.best_score, earned.hints = 7, {"notes-file": 1}
    progress.save(LAB, earned)
    engine.save(stack.settings, stack.backend, "mid-lab")
    progress.save(LAB, LabProgress(best_score=9, hints={"notes-file": 2}, passed=["x"]))

    loaded = stack.run("snapshot", "load", "mid-lab", extra=lab_env)

    assert loaded.returncode == 0, loaded.stderr
    assert f"{LAB} is running: your files in its workspace are unchanged" in loaded.stdout
    assert read_overrides(home) == pointed  # the stack still runs the learner's code
    kept = ProgressStore(home).get(LAB)
    assert kept.best_score == 9  # never lowered
    assert kept.hints == {"notes-file": 2}  # a revealed hint stays revealed (and paid for)
    assert set(kept.passed) >= {"x", "fixture-notes"}


def test_validate_loads_the_fixture_for_the_solution_and_the_starter(
    lab_env: dict[str, str],
) -> None:
    lab, registry = loader.load(LAB)
    outcome = validate(lab, registry)
    assert outcome.ok, outcome.problems
    for variant in ("solution", "starter"):
        results = {r.id: r.status.value for r in outcome.reports[variant].results}
        assert results["fixture-notes"] == "passed", variant
