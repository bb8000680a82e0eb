"""The rules without a stack: which versions load, how lab progress merges, which names and
backends are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.errors import SandboxError, SnapshotError
from sandbox.labs.progress import LabProgress
from sandbox.snapshots import archive, labs_part, store, versions
from sandbox.snapshots.stackview import running_stack
from sandbox.stack.external import ExternalBackend

HERE = {"sandbox": "0.1.0", "ministack": "ministack 1.5.33", "postgres": "18.6",
        "redis": "valkey 9.1.2"}  # fmt: skip


def test_a_snapshot_from_these_or_older_versions_loads() -> None:
    older = {**HERE, "ministack": "ministack 1.5.2", "postgres": "17.4", "redis": "valkey 8.0.1"}
    assert versions.problems(HERE, archive.FORMAT, HERE) == []
    assert versions.problems(older, archive.FORMAT, HERE) == []
    assert versions.problems({**HERE, "postgres": "18.9"}, archive.FORMAT, HERE) == []  # minor


def test_newer_parts_another_redis_server_or_format_are_each_named() -> None:
    newer = {**HERE, "ministack": "ministack 1.6.0", "redis": "redis 7.2.4"}
    found = versions.problems(newer, 2, HERE)
    assert len(found) == 3
    assert any("archive format 2" in p for p in found)
    assert any("ministack 1.6.0, newer than ministack 1.5.33" in p for p in found)
    assert any("redis: made with redis 7.2.4, this stack runs valkey 9.1.2" in p for p in found)


def test_merged_progress_keeps_the_best_of_both() -> None:
    mine = LabProgress(started_at=20.0, hints={"a": 2}, hint_cost={"a": 3}, passed=["a"],
                       best_score=40, last_score=10)  # fmt: skip
    theirs = LabProgress(started_at=10.0, hints={"a": 1, "b": 1}, hint_cost={"b": 1},
                         passed=["b"], best_score=30, last_score=30)  # fmt: skip
    merged = labs_part.merged(mine, theirs)
    assert merged.started_at == 10.0
    assert merged.hints == {"a": 2, "b": 1}
    assert merged.hint_cost == {"a": 3, "b": 1}
    assert merged.passed == ["a", "b"]
    assert merged.best_score == 40


@pytest.mark.parametrize("name", ["", "../up", "a/b", ".hidden", "x" * 81, "spaced name"])
def test_a_name_that_could_escape_or_confuse_is_refused(name: str) -> None:
    with pytest.raises(SandboxError, match="not a usable snapshot name"):
        store.check_name(name)


def test_snapshots_live_beside_the_state_dir_unless_told_otherwise(tmp_path: Path) -> None:
    beside = Settings.from_env({"SANDBOX_HOME": str(tmp_path / "home")})
    told = Settings.from_env({"SANDBOX_HOME": str(tmp_path / "home"),
                              "SANDBOX_SNAPSHOT_DIR": str(tmp_path / "elsewhere")})  # fmt: skip
    assert beside.snapshots == tmp_path / "home-snapshots"
    assert told.snapshots == tmp_path / "elsewhere"


def test_another_backend_is_refused_with_what_to_do(tmp_path: Path) -> None:
    settings = Settings.from_env({"SANDBOX_HOME": str(tmp_path / "home")})
    with pytest.raises(SnapshotError, match="work with the embedded backend") as caught:
        running_stack(settings, ExternalBackend(settings))
    assert "sandbox --backend embedded up" in caught.value.hint
