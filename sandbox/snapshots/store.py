"""The folder of snapshots (`<home>-snapshots/`, or SANDBOX_SNAPSHOT_DIR): one archive each.

It sits beside the state dir, not in it, so `sandbox reset` leaves the snapshots alone.
The automatic ones rotate: the last few before-load snapshots, and the last few step
snapshots within a size budget (the newest is always kept).
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sandbox.config import Settings
from sandbox.errors import SandboxError, SnapshotError
from sandbox.snapshots import archive
from sandbox.snapshots.folders import folder_error, make_folder

SUFFIX = ".snapshot"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
BEFORE_LOAD = "before-load"
STEP = "step"
KEEP = {BEFORE_LOAD: 3, STEP: 5}
STEP_BUDGET_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """One archive in the folder; `manifest` is None when it cannot be read."""

    name: str
    path: Path
    size: int  # bytes on disk (compressed)
    manifest: archive.Manifest | None
    problem: str = ""

    @property
    def created(self) -> float:
        return self.manifest.created if self.manifest else self.path.stat().st_mtime

    def to_dict(self) -> dict[str, object]:
        m = self.manifest
        return {
            "name": self.name,
            "path": str(self.path),
            "size": self.size,
            "created": m.created if m else None,
            "kind": m.kind if m else None,
            "note": m.note if m else "",
            "versions": m.versions if m else {},
            "data_size": m.size if m else None,
            "files": len(m.members) if m else None,
            "problem": self.problem,
        }


class Store:
    def __init__(self, settings: Settings) -> None:
        self.folder = settings.snapshots

    def path(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}{SUFFIX}"

    def scratch(self) -> Path:
        """A fresh folder for unpacking or staging, on the same disk as the archives (what
        a killed command left there over an hour ago is removed)."""
        work = make_folder(self.folder / ".work", "prepare the snapshot")
        for old in work.iterdir():
            if old.stat().st_mtime < time.time() - 3600:
                shutil.rmtree(old, ignore_errors=True)
        return work / uuid.uuid4().hex

    def find(self, name: str) -> Path:
        path = self.path(name)
        if not path.is_file():
            known = ", ".join(e.name for e in self.entries()[-5:]) or "none yet"
            raise SnapshotError(
                f"there is no snapshot {name!r} (latest: {known})",
                "`sandbox snapshot list` shows them all",
            )
        return path

    def entries(self) -> list[Entry]:
        if not self.folder.is_dir():
            return []
        found = [_entry(path) for path in self.folder.glob(f"*{SUFFIX}")]
        return sorted(found, key=lambda e: (e.created, e.name))

    def remove(self, name: str) -> None:
        self.find(name).unlink()

    def rotate(self, kind: str) -> list[str]:
        """Drop the oldest automatic snapshots of `kind` beyond what is kept; their names."""
        mine = [e for e in self.entries() if e.manifest and e.manifest.kind == kind]
        keep, used, dropped = KEEP.get(kind, len(mine)), 0, []
        for position, entry in enumerate(reversed(mine)):  # newest first
            used += entry.size
            over_budget = kind == STEP and used > STEP_BUDGET_BYTES and position > 0
            if position >= keep or over_budget:
                entry.path.unlink(missing_ok=True)
                dropped.append(entry.name)
        return dropped

    def automatic_name(self, kind: str) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name, number = f"{kind}-{stamp}", 2
        while self.path(name).exists():
            name, number = f"{kind}-{stamp}-{number}", number + 1
        return name

    def export(self, name: str, target: Path, force: bool) -> Path:
        source = self.find(name)
        archive.verify(source, self.scratch())  # never hand out a damaged copy
        if target.is_dir():
            target = target / source.name
        _refuse_overwrite(target, force, "--force replaces it")
        try:
            shutil.copyfile(source, target)
        except OSError as err:
            raise folder_error(target.parent, "export the snapshot", err) from err
        return target

    def import_file(self, source: Path, name: str | None, force: bool) -> Entry:
        manifest = archive.verify(source, self.scratch())
        target = self.path(name or manifest.name)
        _refuse_overwrite(target, force, "--name NEW gives it another name; --force replaces it")
        partial = target.with_name(target.name + ".partial")
        try:
            shutil.copyfile(source, partial)
            partial.replace(target)
        except OSError as err:
            partial.unlink(missing_ok=True)
            raise folder_error(self.folder, "import the snapshot", err) from err
        return _entry(target)


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise SandboxError(
            f"{name!r} is not a usable snapshot name",
            "use letters, digits, '.', '_' and '-' (up to 80), starting with a letter or digit",
        )
    return name


def _entry(path: Path) -> Entry:
    name, size = path.name[: -len(SUFFIX)], path.stat().st_size
    try:
        return Entry(name, path, size, archive.read_manifest(path))
    except SnapshotError as err:
        return Entry(name, path, size, None, err.message)


def _refuse_overwrite(target: Path, force: bool, how: str) -> None:
    if target.exists() and not force:
        raise SnapshotError(f"{target} exists already; it was left as it is", how)
