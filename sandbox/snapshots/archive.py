"""One snapshot = one compressed tar: `manifest.json` first, then every file it lists.

The manifest carries the format, the versions that made the snapshot, and each member's size
and sha256. Reading verifies everything while extracting (every member listed, listed once,
of the listed size and checksum, with a safe relative name), so a truncated, altered or
foreign file is refused before anything of the stack is touched. zstd when the `zstandard`
wheel is there, gzip otherwise; a reader tells them apart by their first bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, cast

from sandbox.errors import CorruptSnapshotError, SnapshotError
from sandbox.snapshots.folders import folder_error

FORMAT = 1
MANIFEST = "manifest.json"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20

zstandard: Any
try:
    import zstandard
except ImportError:  # pragma: no cover - the wheel is a dependency; gzip keeps us working
    zstandard = None


@dataclass(frozen=True)
class Member:
    path: str  # relative, POSIX: "postgres/sandbox.dump"
    size: int
    sha256: str


@dataclass
class Manifest:
    name: str
    created: float
    versions: dict[str, str]
    kind: str = "user"  # user, before-load, step
    note: str = ""  # for people: "lab 03-serverless, start of step deploy"
    compression: str = "zstd"
    format: int = FORMAT
    members: list[Member] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Any, where: Path) -> Manifest:
        try:
            members = [
                Member(str(m["path"]), int(m["size"]), str(m["sha256"])) for m in raw["members"]
            ]
            return cls(
                name=str(raw["name"]),
                created=float(raw["created"]),
                versions={str(k): str(v) for k, v in raw["versions"].items()},
                kind=str(raw.get("kind", "user")),
                note=str(raw.get("note", "")),
                compression=str(raw.get("compression", "")),
                format=int(raw["format"]),
                members=members,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise _corrupt(where, f"its manifest is not a snapshot manifest ({err!r})") from err

    @property
    def size(self) -> int:
        return sum(m.size for m in self.members)


def compression() -> str:
    return "zstd" if zstandard is not None else "gzip"


# -- writing --------------------------------------------------------------------------------


def write(staging: Path, manifest: Manifest, target: Path) -> Manifest:
    """Pack every file under `staging` into `target` (written beside it, then renamed, so a
    failed write never leaves a half archive under the snapshot's name)."""
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest.members = [_member(staging, path) for path in files]
    manifest.compression = compression()
    partial = target.with_name(target.name + ".partial")
    try:
        with (
            partial.open("wb") as raw,
            _compressed_writer(raw) as out,
            tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar,
        ):
            _add_bytes(tar, MANIFEST, json.dumps(manifest.to_dict(), indent=1).encode())
            for path, member in zip(files, manifest.members, strict=True):
                _add_file(tar, path, member)
        _fsync(partial)
        partial.replace(target)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise folder_error(target.parent, "write the snapshot", err) from err
    return manifest


def _member(staging: Path, path: Path) -> Member:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return Member(path.relative_to(staging).as_posix(), path.stat().st_size, digest.hexdigest())


@contextmanager
def _compressed_writer(raw: IO[bytes]) -> Iterator[IO[bytes]]:
    if zstandard is None:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=3, mtime=0) as gz:
            yield cast(IO[bytes], gz)
        return
    compressor = zstandard.ZstdCompressor(level=3, write_checksum=True)
    with compressor.stream_writer(raw, closefd=False) as out:
        yield out


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = _info(name, len(data))
    tar.addfile(info, io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, path: Path, member: Member) -> None:
    with path.open("rb") as handle:
        tar.addfile(_info(member.path, member.size), handle)


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, int(time.time())
    return info


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


# -- reading --------------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """Only the manifest (the first member): cheap, for `list` and the version check."""
    with _tar_reader(path) as tar:
        return _first_manifest(tar, path)


def extract(path: Path, target: Path) -> Manifest:
    """Verify the whole archive while unpacking it into `target` (which must not exist);
    on any problem `target` is removed and nothing else was touched."""
    try:
        with _tar_reader(path) as tar:
            manifest = _first_manifest(tar, path)
            _extract_members(tar, manifest, path, target)
        return manifest
    except BaseException:
        _remove_tree(target)
        raise


def verify(path: Path, scratch: Path) -> Manifest:
    """The whole archive checked (unpacked into `scratch`, then removed)."""
    try:
        return extract(path, scratch)
    finally:
        _remove_tree(scratch)


@contextmanager
def _tar_reader(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        raise SnapshotError(f"there is no file {path}", "check the path") from None
    except OSError as err:
        raise SnapshotError(f"cannot read {path}: {err.strerror}", "check its permissions") from err
    with raw:
        stream = _decompressed(raw, path)
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                yield tar
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
            raise _corrupt(path, f"it cannot be unpacked ({err})") from err
        except _zstd_errors() as err:
            raise _corrupt(path, f"it cannot be decompressed ({err})") from err


def _decompressed(raw: IO[bytes], path: Path) -> IO[bytes]:
    magic = raw.read(4)
    raw.seek(0)
    if magic == ZSTD_MAGIC:
        if zstandard is None:
            raise SnapshotError(
                f"{path} is zstd-compressed and the zstandard module is missing",
                "run `make install` (it installs zstandard)",
            )
        reader: IO[bytes] = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        return reader
    if magic[:2] == GZIP_MAGIC:
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    raise _corrupt(path, "it is not a snapshot archive (neither zstd nor gzip)")


def _zstd_errors() -> tuple[type[BaseException], ...]:
    return (zstandard.ZstdError,) if zstandard is not None else ()


def _first_manifest(tar: tarfile.TarFile, path: Path) -> Manifest:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise _corrupt(path, f"it does not start with {MANIFEST}")
    handle = tar.extractfile(first)
    if handle is None or first.size > 16 * CHUNK:
        raise _corrupt(path, f"its {MANIFEST} is unreadable")
    try:
        raw = json.loads(handle.read())
    except ValueError as err:
        raise _corrupt(path, f"its {MANIFEST} is not JSON ({err})") from err
    return Manifest.from_dict(raw, path)


def _extract_members(tar: tarfile.TarFile, manifest: Manifest, path: Path, target: Path) -> None:
    expected = {m.path: m for m in manifest.members}
    if len(expected) != len(manifest.members):
        raise _corrupt(path, "its manifest lists a file twice")
    while (info := tar.next()) is not None:  # not `for ... in tar`: it repeats the manifest
        member = expected.pop(info.name, None)
        if member is None or not info.isfile() or not _safe(info.name):
            raise _corrupt(path, f"it holds {info.name!r}, which its manifest does not list")
        _unpack(tar, info, member, path, target)
    if expected:
        missing = ", ".join(sorted(expected)[:3])
        raise _corrupt(path, f"it ends before {missing} (truncated?)")


def _unpack(
    tar: tarfile.TarFile, info: tarfile.TarInfo, member: Member, path: Path, target: Path
) -> None:
    handle = tar.extractfile(info)
    if handle is None or info.size != member.size:
        raise _corrupt(path, f"{member.path} is not the size its manifest says")
    destination = target / member.path
    digest, written = hashlib.sha256(), 0
    with _created(destination, target) as out:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            written += len(chunk)
            _write_chunk(out, chunk, target)
    if written != member.size or digest.hexdigest() != member.sha256:
        raise _corrupt(path, f"{member.path} does not match its checksum (altered or truncated)")


@contextmanager
def _created(destination: Path, target: Path) -> Iterator[IO[bytes]]:
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        out = destination.open("wb", buffering=0)  # a failed write fails at write()
    except OSError as err:
        raise folder_error(target, "unpack the snapshot", err) from err
    with out:
        yield out


def _write_chunk(out: IO[bytes], chunk: bytes, target: Path) -> None:
    """Only a failed write names the folder: a read error is the archive's (see above)."""
    try:
        out.write(chunk)
    except OSError as err:
        raise folder_error(target, "unpack the snapshot", err) from err


def _safe(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and name != MANIFEST


def _corrupt(path: Path, why: str) -> CorruptSnapshotError:
    return CorruptSnapshotError(
        f"{path.name} is damaged: {why}; nothing was changed",
        "take the snapshot again, or export it again from where it came from",
    )


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
