"""Which versions made a snapshot, and whether this sandbox can load it.

A snapshot loads when its archive format is this one and none of its parts was written by a
newer program than the one here: ministack refuses state from a newer release itself,
pg_restore cannot read a newer pg_dump's archive, and a Redis server cannot read a newer
RDB. Older is fine (each reads its predecessors' files). Every problem is listed at once.
"""

from __future__ import annotations

import re

from sandbox import __version__
from sandbox.errors import IncompatibleSnapshotError
from sandbox.snapshots import archive

KEYS = ("sandbox", "ministack", "postgres", "redis")


def problems(saved: dict[str, str], format_: int, here: dict[str, str]) -> list[str]:
    found = []
    if format_ != archive.FORMAT:
        found.append(f"archive format {format_} (this sandbox reads format {archive.FORMAT})")
    for key in ("ministack", "postgres", "redis"):
        theirs, mine = saved.get(key, ""), here.get(key, "")
        if not theirs:
            found.append(f"no {key} version in its manifest")
        elif _family(theirs) != _family(mine):
            found.append(f"{key}: made with {theirs}, this stack runs {mine}")
        elif _numbers(theirs)[: _depth(key)] > _numbers(mine)[: _depth(key)]:
            found.append(f"{key}: made with {theirs}, newer than {mine} here")
    return found


def check(saved: dict[str, str], format_: int, here: dict[str, str], name: str) -> None:
    found = problems(saved, format_, here)
    if found:
        made_by = saved.get("sandbox", "an unknown sandbox")
        raise IncompatibleSnapshotError(
            f"{name} cannot be loaded here (made by sandbox {made_by}): "
            + "; ".join(found)
            + "; nothing was changed",
            "load it with the sandbox version that made it, or upgrade this one "
            "(`sandbox snapshot list` shows each snapshot's versions)",
        )


def this_sandbox() -> str:
    return __version__


def _depth(key: str) -> int:
    """How much of the version decides: PostgreSQL and Redis files change per major release."""
    return 3 if key == "ministack" else 1


def _family(version: str) -> str:
    """ "valkey 9.1.2" -> "valkey"; "18.1" -> ""."""
    return version.split()[0] if " " in version else ""


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version.split()[-1]))
