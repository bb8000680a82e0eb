"""actions/upload-artifact and actions/download-artifact: folders under the sandbox's state
dir (.sandbox/artifacts/<name>) instead of GitHub's storage."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

from sandbox.pipeline.actions.base import ActionCall, ActionFailed, ActionResult

ARTIFACTS = "artifacts"
RUNS = ".runs"  # artifacts/.runs/<name>: the run that uploaded it


def upload_artifact(call: ActionCall) -> ActionResult:
    name = call.input("name", "artifact") or "artifact"
    files = _matched(call.workspace, call.input("path"))
    if not files:
        return _nothing_found(call, name)
    root = Path(os.path.commonpath([f.parent for f in files]))
    target = call.home / ARTIFACTS / name
    _claim(call, name, target)
    for file in files:
        copy = target / file.relative_to(root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, copy)
    call.log(f"{len(files)} file(s) copied to {target}")
    return ActionResult(outputs={"artifact-id": name, "artifact-url": target.as_uri()})


def _claim(call: ActionCall, name: str, target: Path) -> None:
    """Make room for the artifact: one of an earlier run is replaced; one of this run only
    with overwrite: true (as on GitHub, names are unique within a run)."""
    marker = call.home / ARTIFACTS / RUNS / name
    this_run = call.env.get("GITHUB_RUN_ID", "")
    earlier = marker.read_text() if marker.is_file() else ""
    if target.exists() and earlier == this_run and call.input("overwrite").lower() != "true":
        raise ActionFailed(
            f"this run already uploaded an artifact named {name} ({target}): give each "
            "upload its own name, or set overwrite: true"
        )
    shutil.rmtree(target, ignore_errors=True)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(this_run)


def _matched(workspace: Path, patterns: str) -> list[Path]:
    """The files the path input names: lines of paths or globs; ! excludes."""
    chosen: set[Path] = set()
    for line in (p.strip() for p in patterns.splitlines()):
        if not line:
            continue
        negate = line.startswith("!")
        base = workspace / line.lstrip("!")
        found = {file for hit in glob.glob(str(base), recursive=True) for file in _files(Path(hit))}
        chosen = chosen - found if negate else chosen | found
    return sorted(chosen)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return [p for p in path.rglob("*") if p.is_file()]
    return [path] if path.is_file() else []


def _nothing_found(call: ActionCall, name: str) -> ActionResult:
    behaviour = call.input("if-no-files-found", "warn").lower()
    message = f"no files match path: {call.input('path')!r} (in {call.workspace})"
    if behaviour == "error":
        raise ActionFailed(f"{message}: fix the path")
    if behaviour != "ignore":
        call.log(f"warning: {message}; no artifact {name} uploaded")
    return ActionResult()


def download_artifact(call: ActionCall) -> ActionResult:
    name = call.input("name")
    folder = call.home / ARTIFACTS
    sources = [folder / name] if name else sorted(p for p in folder.glob("[!.]*") if p.is_dir())
    missing = [s.name for s in sources if not s.is_dir()]
    if missing or not sources:
        raise ActionFailed(
            f"no artifact {name or '(any)'} in {folder}: upload it first in an earlier job "
            "of this workflow with actions/upload-artifact"
        )
    target = call.workspace / call.input("path", ".")
    for source in sources:
        into = target if name else target / source.name
        shutil.copytree(source, into, dirs_exist_ok=True)
    call.log(f"copied {', '.join(s.name for s in sources)} from {folder} to {target}")
    return ActionResult(outputs={"download-path": str(target)})
