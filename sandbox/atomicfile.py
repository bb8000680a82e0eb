"""Small state files that survive a crash whole: the old version or the new one, never half.

`write_text` writes a temporary file beside the target, flushes it to disk, renames it over
the target and flushes the folder, so a power cut or a killed VM leaves a complete file
(without the flushes a rename can reach the disk before the data, leaving an empty file).
A write that fails leaves the old file and no temporary one behind. A read-modify-write of
such a file also needs `processlock.locked` around it, or one of two writers' changes is lost.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}-{secrets.token_hex(6)}.tmp")
    # Mode 0o666 less the umask, as open() gives (mkstemp's 0o600 would hide the file from
    # an instructor's account that reads the progress).
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
