"""actions/checkout: nothing is cloned (that needs the network); local folders stand in.

This repository: the workspace is used as it is (already checked out, with your uncommitted
changes: that is what you want to test before you push). With `path:`, GitHub clones it into
that folder of the workspace; here the folder becomes a link to a copy of the workspace's
files (those git tracks, as they are now) made for this run under RUNNER_TEMP, so the next
run links a fresh copy and none of your files is written over. A `path:` that is a real
folder already is used as it is.

Another repository (`repository: OWNER/NAME` and a `path:`): a local copy of it, linked at
that path and used as it is (its `ref:` is not checked out): a clone you put at
<state dir>/repositories/OWNER/NAME, else the running sandbox's own source when OWNER/NAME
is its origin (as `sandbox classroom init` writes by default).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sandbox.pipeline.actions.base import ActionCall, ActionFailed, ActionResult
from sandbox.pipeline.environment import repository as git_repository

SANDBOX_SOURCE = Path(__file__).resolve().parents[3]  # the sandbox's checkout, when it is one
REPOSITORIES = "repositories"  # <state dir>/repositories/OWNER/NAME: local clones
COPIES = "checkouts"  # RUNNER_TEMP/checkouts/<path>: this run's copies of the workspace
OWNER_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*/[A-Za-z0-9_-][A-Za-z0-9_.-]*")


def checkout(call: ActionCall) -> ActionResult:
    repository = call.input("repository")
    where = call.input("path")
    if repository and repository.lower() != call.env.get("GITHUB_REPOSITORY", "").lower():
        return _another(call, repository, where)
    target = _target(call, where)
    if target == call.workspace or (target.is_dir() and not target.is_symlink()):
        call.log(f"workspace used as it is: {target}")
        return ActionResult()
    copy = Path(call.env.get("RUNNER_TEMP") or call.home / "tmp") / COPIES / where
    count = _copy_workspace(call.workspace, target, copy)
    _link(target, copy)
    call.log(f"{where}: a copy of the workspace's {count} file(s), made for this run ({copy})")
    return ActionResult()


def _target(call: ActionCall, where: str) -> Path:
    """workspace/where, which must stay inside the workspace."""
    target = Path(os.path.normpath(call.workspace / where))
    if not target.is_relative_to(call.workspace):
        raise ActionFailed(f"path: {where} is outside the workspace {call.workspace}")
    return target


def _copy_workspace(workspace: Path, target: Path, copy: Path) -> int:
    """Copy what a clone would hold into `copy`: the files git tracks (or, outside git,
    every file but .git's), taken from the working tree; never `target` itself."""
    shutil.rmtree(copy, ignore_errors=True)
    files = [f for f in _workspace_files(workspace) if not (workspace / f).is_relative_to(target)]
    for name in files:
        source = workspace / name
        if source.is_file() or source.is_symlink():  # a tracked file deleted since: left out
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name, follow_symlinks=False)
    copy.mkdir(parents=True, exist_ok=True)
    return len(files)


def _workspace_files(workspace: Path) -> list[str]:
    tracked = _git_files(workspace)
    if tracked is not None:
        return tracked
    found = []
    for folder, dirs, files in os.walk(workspace):  # symlinked folders are not followed
        dirs[:] = [d for d in dirs if d != ".git"]
        found += [str((Path(folder) / f).relative_to(workspace)) for f in files]
    return found


def _git_files(workspace: Path) -> list[str] | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(workspace), "ls-files", "-z", "--cached"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return [name for name in done.stdout.split("\0") if name] if done.returncode == 0 else None


def _link(target: Path, source: Path) -> None:
    """Point `target` at `source`; only a link (an earlier run's) is ever replaced."""
    if target.is_symlink():
        target.unlink()
    elif target.exists():
        raise ActionFailed(f"path: {target} is a file: give the checkout a folder's path")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(source, target_is_directory=True)


def _another(call: ActionCall, repository: str, where: str) -> ActionResult:
    source = _local_copy(call, repository)
    if not where:
        raise ActionFailed(
            f"checkout of {repository} over the workspace itself is not done locally: give "
            "it a path: (a folder of the workspace)"
        )
    target = _target(call, where)
    if target.is_dir() and not target.is_symlink():
        call.log(f"{repository}: {target} used as it is")
        return ActionResult()
    _link(target, source)
    call.log(f"{repository}: {where} links to the local copy {source}, used as it is")
    if call.input("ref"):
        call.log(f"ref: {call.input('ref')} is not checked out locally")
    return ActionResult()


def _local_copy(call: ActionCall, repository: str) -> Path:
    if not OWNER_NAME.fullmatch(repository):
        raise ActionFailed(f"repository: {repository!r} is not OWNER/NAME")
    clone = call.home / REPOSITORIES / repository
    if clone.is_dir():
        return clone
    if _is_the_running_sandbox(repository):
        return SANDBOX_SOURCE
    raise ActionFailed(
        f"checkout of another repository ({repository}) needs the network: put a clone of "
        f"it at {clone} (git clone https://github.com/{repository} {clone}), or check out "
        "only this repository"
    )


def _is_the_running_sandbox(repository: str) -> bool:
    """The sandbox runs from a checkout (not an installed wheel) whose origin is it."""
    if not (SANDBOX_SOURCE / "pyproject.toml").is_file():
        return False
    return git_repository(SANDBOX_SOURCE).name.lower() == repository.lower()
