"""A failed write becomes an error that names the folder and what to do about it."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from sandbox.errors import SnapshotError

WHY = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "your disk quota is used up",
    errno.EFBIG: "a file grew past the size limit for this process",
    errno.EROFS: "it is on a read-only file system",
    errno.EACCES: "it is not writable for you",
    errno.EPERM: "it is not writable for you",
}


def folder_error(folder: Path, doing: str, err: OSError) -> SnapshotError:
    why = WHY.get(err.errno or 0, err.strerror or str(err))
    return SnapshotError(
        f"cannot {doing} in {folder}: {why}; the stack was not changed",
        f"free some space in {folder} (`sandbox snapshot rm` an old snapshot), or set "
        "SANDBOX_SNAPSHOT_DIR to a folder with room",
    )


def make_folder(folder: Path, doing: str) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise folder_error(folder, doing, err) from err
    return folder


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link where it can be (the emulator and Redis replace their files rather than
    write into them, so a link keeps this moment's content), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.hardlink_to(source)
    except OSError:
        shutil.copy2(source, target)


def link_tree(source: Path, target: Path, skip_suffix: str = ".tmp") -> None:
    for path in sorted(source.rglob("*")):
        if path.is_file() and not path.name.endswith(skip_suffix):
            link_or_copy(path, target / path.relative_to(source))


def dir_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
