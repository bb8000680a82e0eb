"""Damaged, foreign and incompatible archives are refused with a clear message, before
anything of the stack is touched: same data, same processes, no before-load snapshot."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from sandbox.errors import CorruptSnapshotError, IncompatibleSnapshotError, SnapshotError
from sandbox.snapshots import archive, engine, store
from tests.snapshots.conftest import Stack, counts, put_everything


@pytest.fixture(scope="module")
def good(stack: Stack) -> Path:
    put_everything(stack, "kept", count=4)
    engine.save(stack.settings, stack.backend, "good")
    return store.Store(stack.settings).find("good")


def unchanged_after(stack: Stack, attempt: Callable[[], object]) -> SnapshotError:
    """Run a load that must fail; check nothing moved; return its error."""
    before_pids, before_counts = stack.pids(), counts(stack)
    before_names = {e.name for e in store.Store(stack.settings).entries()}
    with pytest.raises(SnapshotError) as caught:
        attempt()
    assert stack.pids() == before_pids
    assert counts(stack) == before_counts
    assert {e.name for e in store.Store(stack.settings).entries()} == before_names
    assert not list((stack.settings.snapshots / ".work").iterdir())  # nothing left unpacked
    return caught.value


def load(stack: Stack, path: Path) -> Callable[[], object]:
    return lambda: engine.load(stack.settings, stack.backend, path)


def test_a_truncated_archive_is_refused_and_nothing_changes(
    stack: Stack, good: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.snapshot"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size * 2 // 3])

    error = unchanged_after(stack, load(stack, cut))

    assert isinstance(error, CorruptSnapshotError)
    assert "cut.snapshot is damaged" in error.message
    assert "nothing was changed" in error.message


def test_an_altered_byte_is_caught_by_the_checksums(
    stack: Stack, good: Path, tmp_path: Path
) -> None:
    raw = bytearray(zstandard.ZstdDecompressor().decompress(good.read_bytes(),
                                                            max_output_size=1 << 30))  # fmt: skip
    raw[len(raw) // 2] ^= 0xFF  # somewhere in a member's content (or a header)
    altered = tmp_path / "altered.snapshot"
    altered.write_bytes(zstandard.ZstdCompressor().compress(bytes(raw)))

    error = unchanged_after(stack, load(stack, altered))

    assert isinstance(error, CorruptSnapshotError)


def test_a_file_that_is_no_snapshot_is_refused(stack: Stack, tmp_path: Path) -> None:
    other = tmp_path / "notes.snapshot"
    other.write_text("just some text\n")
    error = unchanged_after(stack, load(stack, other))
    assert "not a snapshot archive" in error.message


def test_a_snapshot_from_newer_versions_is_refused_listing_each_reason(
    stack: Stack, good: Path, tmp_path: Path
) -> None:
    newer = rewrite_manifest(good, tmp_path / "newer.snapshot", lambda m: m["versions"].update(
        ministack="ministack 99.0.0", postgres="99.1", sandbox="9.9.9"))  # fmt: skip

    error = unchanged_after(stack, load(stack, newer))

    assert isinstance(error, IncompatibleSnapshotError)
    assert "ministack 99.0.0" in error.message
    assert "postgres: made with 99.1" in error.message
    assert "sandbox 9.9.9" in error.message
    assert "nothing was changed" in error.message


def test_another_archive_format_is_refused(stack: Stack, good: Path, tmp_path: Path) -> None:
    future = rewrite_manifest(good, tmp_path / "future.snapshot", lambda m: m.update(format=2))
    error = unchanged_after(stack, load(stack, future))
    assert "archive format 2" in error.message


def test_a_member_outside_the_manifest_or_the_folder_is_refused(
    stack: Stack, good: Path, tmp_path: Path
) -> None:
    sneaky = rewrite_manifest(good, tmp_path / "sneaky.snapshot", lambda m: None,
                              extra=("../outside.txt", b"boo"))  # fmt: skip
    error = unchanged_after(stack, load(stack, sneaky))
    assert "../outside.txt" in error.message
    assert not (stack.settings.snapshots / "outside.txt").exists()


def test_import_checks_the_whole_file_before_adding_it(stack: Stack, good: Path,
                                                       tmp_path: Path) -> None:  # fmt: skip
    cut = tmp_path / "cut.snapshot"
    cut.write_bytes(good.read_bytes()[:-200])
    answer = stack.run("snapshot", "import", str(cut), "--name", "cut")
    assert answer.returncode == 1
    assert "damaged" in answer.stderr
    assert "Traceback" not in answer.stderr
    assert not store.Store(stack.settings).path("cut").exists()


def test_the_list_marks_a_damaged_archive_instead_of_failing(stack: Stack) -> None:
    broken = store.Store(stack.settings).path("broken")
    broken.write_bytes(b"\x28\xb5\x2f\xfd garbage")
    try:
        answer = stack.run("snapshot", "list", "--json")
        rows = {r["name"]: r for r in json.loads(answer.stdout)["snapshots"]}
        assert "damaged" in rows["broken"]["problem"]
        assert "DAMAGED" in stack.run("snapshot", "list").stdout
    finally:
        broken.unlink()


def rewrite_manifest(
    source: Path,
    target: Path,
    change: Callable[[dict], object],  # type: ignore[type-arg]
    extra: tuple[str, bytes] | None = None,
) -> Path:
    """A copy of `source` whose manifest `change` edited (and, optionally, one more member)."""
    members: list[tuple[tarfile.TarInfo, bytes]] = []
    raw = zstandard.ZstdDecompressor().decompress(source.read_bytes(), max_output_size=1 << 30)
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
        for info in tar.getmembers():
            handle = tar.extractfile(info)
            members.append((info, handle.read() if handle else b""))
    manifest = json.loads(members[0][1])
    change(manifest)
    members[0] = (members[0][0], json.dumps(manifest).encode())
    if extra:
        members.append((tarfile.TarInfo(extra[0]), extra[1]))
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    target.write_bytes(zstandard.ZstdCompressor().compress(out.getvalue()))
    assert archive.read_manifest(target).name == "good"
    return target
