"""Save and load a whole stack's state, with the stack running.

Save: PostgreSQL (pg_dump), Redis (SAVE) and the emulator (its state written in place) at
once, each at one consistent moment of its own, plus the labs' progress; then one archive.
The stack keeps running throughout.

Load, in an order where every failure leaves a way back:
1. read and verify the whole archive, and check its versions: a damaged or incompatible one
   is refused here, before anything is touched;
2. save the current state as an automatic "before-load" snapshot (so a load is undoable);
3. stop the app, Redis and the emulator, and meanwhile restore PostgreSQL's databases beside
   the live ones (it keeps running); then rename those over the live ones, swap Redis's and
   the emulator's files, and start them again (the emulator's start re-anchors its DynamoDB
   stream triggers) and the app;
4. merge the labs' progress (never lowering a score).
If step 3 fails, the message names the before-load snapshot that puts everything back.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.config import Settings
from sandbox.errors import SandboxError, SnapshotError
from sandbox.snapshots import archive, aws_part, labs_part, pg_part, redis_part, store, versions
from sandbox.snapshots.folders import folder_error, make_folder
from sandbox.snapshots.stackview import StackView, running_stack
from sandbox.stack.backend import Backend
from sandbox.stack.model import State

Progress = Callable[[str], None]
SWAPPED = ["redis", "aws"]  # their files are replaced with the server stopped


@dataclass
class Saved:
    entry: store.Entry
    seconds: float
    notes: list[str] = field(default_factory=list)
    rotated: list[str] = field(default_factory=list)


@dataclass
class Loaded:
    name: str
    seconds: float
    before_load: str | None  # the automatic snapshot that undoes this load
    notes: list[str] = field(default_factory=list)


def current_versions(stack: StackView) -> dict[str, str]:
    return {
        "sandbox": versions.this_sandbox(),
        "ministack": aws_part.version(),
        "postgres": pg_part.version(stack),
        "redis": redis_part.version(stack),
    }


def save(
    settings: Settings,
    backend: Backend,
    name: str,
    kind: str = "user",
    note: str = "",
    force: bool = False,
) -> Saved:
    began = time.perf_counter()
    stack = running_stack(settings, backend)
    snapshots = store.Store(settings)
    target = snapshots.path(name)
    if target.exists() and not force:
        raise SnapshotError(
            f"a snapshot named {name!r} exists already; it was left as it is",
            "choose another name, or add --force to replace it",
        )
    staging = snapshots.scratch()
    try:
        notes = _stage(stack, staging, snapshots.folder)
        manifest = archive.Manifest(name, time.time(), current_versions(stack), kind, note)
        archive.write(staging, manifest, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    rotated = snapshots.rotate(kind) if kind in store.KEEP else []
    entry = next(e for e in snapshots.entries() if e.name == name)
    return Saved(entry, time.perf_counter() - began, notes, rotated)


def _stage(stack: StackView, staging: Path, folder: Path) -> list[str]:
    """Every part's files in `staging`, the parts taken at the same time."""
    make_folder(staging, "prepare the snapshot")
    try:
        with ThreadPoolExecutor(3) as pool:
            pg = pool.submit(pg_part.save, stack, staging)
            rd = pool.submit(redis_part.save, stack, staging)
            em = pool.submit(aws_part.save, stack, staging)
            pg.result(), rd.result()
            notes = em.result()
        labs_part.save(stack.settings.home, staging)
    except OSError as err:
        raise folder_error(folder, "prepare the snapshot", err) from err
    return notes


def load(
    settings: Settings,
    backend: Backend,
    source: Path,
    safety: bool = True,
    progress: Progress = lambda _m: None,
) -> Loaded:
    """Load the archive at `source` (see the module's docstring for the order)."""
    began = time.perf_counter()
    stack = running_stack(settings, backend)
    snapshots = store.Store(settings)
    manifest = archive.read_manifest(source)
    versions.check(manifest.versions, manifest.format, current_versions(stack), source.name)
    unpacked = snapshots.scratch()
    try:
        progress(f"checking {source.name}")
        archive.extract(source, unpacked)
        before, databases = _prepare(stack, unpacked, safety, progress)
        notes = _apply(stack, unpacked, databases, before, progress)
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
    return Loaded(manifest.name, time.perf_counter() - began, before, notes)


def _prepare(
    stack: StackView, unpacked: Path, safety: bool, progress: Progress
) -> tuple[str | None, list[str]]:
    """At once: the app stops, PostgreSQL's databases are restored beside the live ones, and
    the before-load snapshot is saved, then Redis and the emulator stop. If any of it fails,
    whatever stopped starts again and nothing live was changed."""
    app_was_up = _is_up(stack, "app")
    progress("stopping the app; restoring PostgreSQL beside the live databases")
    with ThreadPoolExecutor(2) as pool:
        app_stopped = pool.submit(stack.stop, ["app"])
        prepared = pool.submit(pg_part.prepare, stack, unpacked)
        try:
            before = _before_load(stack, progress) if safety else None
            progress("stopping Redis and the emulator")
            stack.stop(SWAPPED)
            databases, _ = prepared.result(), app_stopped.result()
        except SandboxError:
            app_stopped.exception(), prepared.exception()  # both finished
            _as_it_was(stack, prepared, app_was_up)
            raise
    return before, databases


def _is_up(stack: StackView, service: str) -> bool:
    return stack.backend.status().services[service].state is not State.STOPPED


def _as_it_was(stack: StackView, prepared: Future[list[str]], app_was_up: bool) -> None:
    if prepared.exception() is None:
        pg_part.discard(stack, prepared.result())
    stack.start(SWAPPED)  # harmless for a service still running
    if app_was_up:
        _start_app(stack)


def _before_load(stack: StackView, progress: Progress) -> str:
    name = store.Store(stack.settings).automatic_name(store.BEFORE_LOAD)
    progress(f"saving the current state as {name} (to undo this load)")
    save(
        stack.settings, stack.backend, name, store.BEFORE_LOAD, "taken automatically before a load"
    )
    return name


def _apply(
    stack: StackView, unpacked: Path, databases: list[str], before: str | None, progress: Progress
) -> list[str]:
    """With the app, Redis and the emulator stopped: swap in the databases and files, start
    the emulator and Redis together, and the app once Redis is up; notes for the user."""
    try:
        pg_part.swap(stack, databases)
        _swap_files(stack, unpacked)
        labs_part.restore(stack.settings.home, unpacked)
        progress("starting Redis and the emulator, and the app once Redis is up")
        with ThreadPoolExecutor(1) as pool:
            emulator = pool.submit(stack.start, ["aws"])
            stack.start(["redis"])
            notes = _start_app(stack)
            emulator.result()
    except (SandboxError, OSError) as err:
        raise _half_loaded(stack, err, before) from err
    redis_part.forget_aside(stack)
    aws_part.forget_aside(stack)
    return notes


def _start_app(stack: StackView) -> list[str]:
    """The data is all back by now: an app that fails to start (a lab's broken code) is
    reported, not taken for a failed load."""
    try:
        stack.start(["app"])
    except SandboxError as err:
        return [f"the data is loaded, but the app did not start again: {err.message}"]
    return []


def _swap_files(stack: StackView, unpacked: Path) -> None:
    redis_part.replace_files(stack, unpacked)
    aws_part.replace_files(stack, unpacked)


def _half_loaded(
    stack: StackView, err: SandboxError | OSError, before: str | None
) -> SnapshotError:
    """Put the swapped files back if their servers are down, and say how to get back."""
    services = stack.backend.status().services
    if services["redis"].state is not State.HEALTHY:
        redis_part.put_back(stack)
    if services["aws"].state is not State.HEALTHY:
        aws_part.put_back(stack)
    detail = err.render() if isinstance(err, SandboxError) else str(err)
    back = (
        f"`sandbox snapshot load {before}` puts back the state from before this load"
        if before
        else "`sandbox reset --yes` starts from an empty stack"
    )
    return SnapshotError(
        f"the load stopped halfway: {detail}", f"`sandbox up` starts whatever is stopped; {back}"
    )
