"""The learner's copy of a lab (`workspace/<id>/`), and pointing the stack at it."""

from __future__ import annotations

import filecmp
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.config import read_overrides, write_overrides
from sandbox.labs.model import Lab


@dataclass
class StartInfo:
    workspace: Path
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the learner's edited files, left alone


def workspace_root() -> Path:
    return Path(os.environ.get("SANDBOX_WORKSPACE", "workspace")).absolute()


def workspace_of(lab: Lab, root: Path | None = None) -> Path:
    return (root or workspace_root()) / lab.id


def copy_tree(source: Path, target: Path, force: bool) -> StartInfo:
    """Copy every file; a file the learner changed is kept unless `force`."""
    info = StartInfo(target)
    for path in _files(source):
        name = str(path.relative_to(source))
        destination = target / name
        if destination.exists() and not force and not filecmp.cmp(path, destination, False):
            info.kept.append(name)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        info.copied.append(name)
    return info


def _files(source: Path) -> list[Path]:
    """Every file, following symlinked folders (a solution may link the reference code)."""
    found = []
    for folder, dirs, files in os.walk(source, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found += [Path(folder) / name for name in sorted(files) if not name.endswith(".pyc")]
    return found


def start(lab: Lab, home: Path, force: bool = False, root: Path | None = None) -> StartInfo:
    """Copy the starter into the workspace and point the stack at the workspace's code."""
    info = copy_tree(lab.folder / "starter", workspace_of(lab, root), force)
    point_stack_at(lab, home, info.workspace)
    return info


def point_stack_at(lab: Lab, home: Path, workspace: Path) -> None:
    """Point only what this lab replaces; another lab's folders stay as they are."""
    dirs = stack_dirs(lab, workspace)
    if not dirs:
        return
    merged = {key: Path(value) for key, value in read_overrides(home).items()}
    write_overrides(home, **{**merged, **dirs})


def stack_dirs(lab: Lab, workspace: Path) -> dict[str, Path]:
    """app_dir: the folder holding the learner's app package; lambda_dir: their Lambda."""
    dirs = {}
    if "app" in lab.workspace:
        dirs["app_dir"] = (workspace / lab.workspace["app"]).parent
    if "lambda" in lab.workspace:
        dirs["lambda_dir"] = workspace / lab.workspace["lambda"]
    return dirs


def points_at(lab: Lab, home: Path, root: Path | None = None) -> bool:
    """True when the stack's overrides are this lab's workspace."""
    wanted = {k: str(v) for k, v in stack_dirs(lab, workspace_of(lab, root)).items()}
    current = read_overrides(home)
    return all(current.get(key) == value for key, value in wanted.items())


def unpoint(lab: Lab, home: Path, root: Path | None = None) -> bool:
    """Point the stack back at the project's own code for what this lab replaced; the
    workspace is kept. False when the stack did not point at this lab."""
    replaced = stack_dirs(lab, workspace_of(lab, root))
    if not replaced or not points_at(lab, home, root):
        return False
    kept = {k: Path(v) for k, v in read_overrides(home).items() if k not in replaced}
    write_overrides(home, **kept)
    return True


def reset(lab: Lab, home: Path, root: Path | None = None) -> None:
    """Delete the learner's copy and stop pointing the stack at it."""
    unpoint(lab, home, root)
    shutil.rmtree(workspace_of(lab, root), ignore_errors=True)
