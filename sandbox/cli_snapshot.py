"""`sandbox snapshot ...`: save, load, list, rm, export and import the whole stack's state."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from sandbox.config import Settings
from sandbox.snapshots import engine, steps, store
from sandbox.stack import resolve_backend
from sandbox.stack.backend import Backend

JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")


def _backend(ctx: click.Context, settings: Settings) -> Backend:
    return resolve_backend(settings, (ctx.obj or {}).get("backend"))


@click.group("snapshot")
def snapshot_group() -> None:
    """Save the whole stack's state (PostgreSQL, Redis, the emulator's resources and S3
    objects, lab progress) and load it back. Snapshots live beside the state dir
    (`<home>-snapshots/`, or SANDBOX_SNAPSHOT_DIR), so `sandbox reset` keeps them."""


@snapshot_group.command("save")
@click.argument("name")
@click.option("--force", is_flag=True, help="Replace a snapshot of the same name.")
@JSON_OPTION
@click.pass_context
def save_command(ctx: click.Context, name: str, force: bool, as_json: bool) -> None:
    """Save the running stack's state as NAME; the stack keeps running."""
    settings = Settings.from_env()
    saved = engine.save(settings, _backend(ctx, settings), store.check_name(name), force=force)
    if as_json:
        click.echo(
            json.dumps(
                {**saved.entry.to_dict(), "seconds": round(saved.seconds, 3), "notes": saved.notes}
            )
        )
        return
    click.echo(
        f"Saved {name} ({_size(saved.entry.size)}) in {saved.seconds:.1f} s: {saved.entry.path}"
    )
    for note in saved.notes:
        click.echo(f"Note: {note}")


@snapshot_group.command("load")
@click.argument("name")
@JSON_OPTION
@click.pass_context
def load_command(ctx: click.Context, name: str, as_json: bool) -> None:
    """Load NAME (or a .snapshot file) into the running stack. What is there now is saved
    first as an automatic before-load snapshot, so a load can be undone."""
    settings = Settings.from_env()
    source = _source(settings, name)
    say = (lambda _m: None) if as_json else (lambda m: click.echo(f"  {m}", err=True))
    loaded = engine.load(settings, _backend(ctx, settings), source, progress=say)
    notes = loaded.notes + steps.lab_notes(settings)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "name": loaded.name,
                    "seconds": round(loaded.seconds, 3),
                    "before_load": loaded.before_load,
                    "notes": notes,
                }
            )
        )
        return
    click.echo(f"Loaded {loaded.name} in {loaded.seconds:.1f} s; the stack is running.")
    for note in notes:
        click.echo(f"Note: {note}")
    if loaded.before_load:
        click.echo(f"Undo: `sandbox snapshot load {loaded.before_load}` puts back what was there.")


def _source(settings: Settings, name: str) -> Path:
    as_file = Path(name)
    if as_file.suffix == store.SUFFIX and as_file.is_file():
        return as_file
    return store.Store(settings).find(store.check_name(name))


@snapshot_group.command("list")
@JSON_OPTION
def list_command(as_json: bool) -> None:
    """Every snapshot: name, time, size, kind, and the versions that made it."""
    snapshots = store.Store(Settings.from_env())
    entries = snapshots.entries()
    if as_json:
        click.echo(
            json.dumps(
                {"folder": str(snapshots.folder), "snapshots": [e.to_dict() for e in entries]},
                indent=2,
            )
        )
        return
    if not entries:
        click.echo(
            f"No snapshots yet in {snapshots.folder}; `sandbox snapshot save NAME` takes one."
        )
        return
    click.echo(f"{'NAME':<32} {'CREATED':<19} {'SIZE':>9}  {'KIND':<11} VERSIONS")
    for entry in entries:
        click.echo(_row(entry))


def _row(entry: store.Entry) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.created))
    m = entry.manifest
    if m is None:
        return f"{entry.name:<32} {when:<19} {_size(entry.size):>9}  DAMAGED     {entry.problem}"
    made = f"sandbox {m.versions.get('sandbox', '?')}, {m.versions.get('ministack', '?')}"
    return f"{entry.name:<32} {when:<19} {_size(entry.size):>9}  {m.kind:<11} {made}"


@snapshot_group.command("rm")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rm_command(name: str, yes: bool) -> None:
    """Delete the snapshot NAME (this cannot be undone: export it first to keep a copy)."""
    snapshots = store.Store(Settings.from_env())
    path = snapshots.find(store.check_name(name))
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("rm deletes the snapshot for good; add --yes to confirm")
        click.confirm(f"Delete {path}?", abort=True)
    snapshots.remove(name)
    click.echo(f"Deleted {name}.")


@snapshot_group.command("export")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def export_command(name: str, file: Path, force: bool) -> None:
    """Copy the snapshot NAME to FILE (checked first), e.g. to ship it with a lab."""
    written = store.Store(Settings.from_env()).export(store.check_name(name), file, force)
    click.echo(f"Exported {name} to {written}.")


@snapshot_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--name", help="Keep it under this name (default: the name it was saved as).")
@click.option("--force", is_flag=True, help="Replace a snapshot of the same name.")
@JSON_OPTION
def import_command(file: Path, name: str | None, force: bool, as_json: bool) -> None:
    """Check FILE whole, then add it to your snapshots (`snapshot load NAME` loads it)."""
    entry = store.Store(Settings.from_env()).import_file(
        file, store.check_name(name) if name else None, force
    )
    if as_json:
        click.echo(json.dumps(entry.to_dict()))
        return
    click.echo(
        f"Imported {entry.name} ({_size(entry.size)}); "
        f"`sandbox snapshot load {entry.name}` loads it."
    )


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size = size / 1024  # type: ignore[assignment]
    return f"{size:.1f} GB"
