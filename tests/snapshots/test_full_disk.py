"""A snapshot folder with no room (or read-only): the error names the folder, nothing is
left half-written, and the stack runs on as it was.

How the full disk is made: a real tmpfs mounted with a small size (`mount -t tmpfs -o
size=...`), so writes fail with ENOSPC exactly as on a full disk; and a tmpfs mounted
read-only. Mounting needs root (CI runs as root); elsewhere these tests are skipped.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.errors import SnapshotError
from sandbox.snapshots import engine, store
from tests.snapshots.conftest import Stack, counts, put_everything


def mounted(folder: Path, options: str) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if os.geteuid() != 0 or done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Path]:
    """A 64 KB file system: room for the snapshot folder, not for a snapshot's data."""
    yield from mounted(tmp_path / "tiny", "size=64k,mode=0755")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    yield from mounted(tmp_path / "ro", "ro,size=1m")


def test_saving_to_a_full_disk_names_the_folder_and_leaves_no_partial_file(
    stack: Stack, tiny: Path
) -> None:
    put_everything(stack, "full", count=200)
    before = stack.pids()

    answer = stack.run("snapshot", "save", "wont-fit", extra={"SANDBOX_SNAPSHOT_DIR": str(tiny)})

    assert answer.returncode == 1
    assert str(tiny) in answer.stderr
    assert "the disk is full" in answer.stderr
    assert "Traceback" not in answer.stderr
    leftovers = [p.name for p in tiny.rglob("*") if p.is_file()]
    assert leftovers == []
    assert stack.pids() == before
    assert stack.backend.status().all_healthy


def test_loading_when_the_disk_cannot_hold_the_unpacked_snapshot_changes_nothing(
    stack: Stack, tiny: Path
) -> None:
    put_everything(stack, "before", count=50)
    engine.save(stack.settings, stack.backend, "to-unpack")
    shutil.copyfile(store.Store(stack.settings).find("to-unpack"), tiny / "to-unpack.snapshot")
    settings = dataclasses.replace(stack.settings, snapshot_dir=tiny)
    put_everything(stack, "after", count=7)
    before_pids, before_counts = stack.pids(), counts(stack)

    with pytest.raises(SnapshotError) as caught:
        engine.load(settings, stack.backend, tiny / "to-unpack.snapshot")

    assert str(tiny) in caught.value.message
    assert "the disk is full" in caught.value.message
    assert stack.pids() == before_pids
    assert counts(stack) == before_counts


def test_a_read_only_snapshot_folder_is_named_in_the_error(stack: Stack, read_only: Path) -> None:
    settings = dataclasses.replace(stack.settings, snapshot_dir=read_only)
    with pytest.raises(SnapshotError) as caught:
        engine.save(settings, stack.backend, "nowhere")
    assert str(read_only) in caught.value.message
    assert "read-only" in caught.value.message
    assert stack.backend.status().all_healthy
