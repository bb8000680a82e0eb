"""A digest that changes when any file under a folder changes (its path, size or time)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SKIPPED = {"__pycache__", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules"}


def stamp(folder: Path) -> str:
    """A digest of every file's path, size and modification time under `folder` (for a
    file: under the folder that holds it, where the files it names are)."""
    folder = folder if folder.is_dir() else folder.parent
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        for name in sorted(f for f in files if not f.endswith(".pyc")):
            path = Path(root) / name
            try:
                info = path.stat()
            except OSError:
                continue  # deleted while we looked: the next stamp sees it
            digest.update(
                f"{path.relative_to(folder)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()
