"""The function's deployment package: a reproducible zip of the Lambda source folder."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import ConfigError

SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", "tests"}
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # same bytes for the same source, whatever the mtimes


@dataclass(frozen=True)
class Package:
    data: bytes
    sha256: str
    files: tuple[str, ...]


def build(source: Path) -> Package:
    """Zip every file under `source` (handler.py must be there) in a stable order."""
    if not (source / "handler.py").is_file():
        raise ConfigError(
            f"no handler.py in the Lambda source folder {source}",
            "point SANDBOX_LAMBDA_DIR at the folder with handler.py (the lambda/ folder)",
        )
    files = tuple(sorted(_files(source)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (source / name).read_bytes())
    data = buffer.getvalue()
    return Package(data, hashlib.sha256(data).hexdigest(), files)


def _files(source: Path) -> list[str]:
    return [
        str(path.relative_to(source))
        for path in source.rglob("*")
        if path.is_file()
        and not SKIP_DIRS.intersection(path.relative_to(source).parts)
        and path.suffix not in (".pyc", ".pyo")
    ]


def fingerprint(source: Path) -> tuple[tuple[str, float, int], ...]:
    """What --watch compares: every file's name, mtime and size."""
    return tuple(
        (name, (source / name).stat().st_mtime, (source / name).stat().st_size)
        for name in sorted(_files(source))
    )
