"""Redis in a snapshot: the RDB file that SAVE writes (one consistent moment, a few ms).

The server runs with append-only persistence, and a Redis 7 / Valkey server with an AOF
folder ignores a dump.rdb at start. So loading makes the snapshot's RDB the base file of a
fresh AOF folder (`appendonly.aof.1.base.rdb` and a one-line manifest), with the server
stopped; the folder it replaces is kept aside until the server is healthy again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import redis as redis_client

from sandbox.errors import SnapshotError
from sandbox.services import redis as redis_service
from sandbox.snapshots.folders import link_or_copy
from sandbox.snapshots.stackview import StackView

FOLDER = "redis"
RDB = "dump.rdb"
AOF_DIR = "appendonlydir"  # the server's defaults: appenddirname, appendfilename
BASE = "appendonly.aof.1.base.rdb"
AOF_MANIFEST = "appendonly.aof.manifest"
ASIDE = ".before-load"


def version(stack: StackView) -> str:
    """The server and its version, e.g. "valkey 9.1.2" or "redis 7.2.4"."""
    info = _call(stack, lambda c: c.info("server"))
    if "valkey_version" in info:
        return f"valkey {info['valkey_version']}"
    return f"redis {info.get('redis_version', 'unknown')}"


def save(stack: StackView, staging: Path) -> None:
    _call(stack, lambda c: c.save())
    folder, name = _call(
        stack, lambda c: (c.config_get("dir")["dir"], c.config_get("dbfilename")["dbfilename"])
    )
    link_or_copy(Path(folder) / name, staging / FOLDER / RDB)


def replace_files(stack: StackView, unpacked: Path) -> None:
    """With the server stopped: the snapshot's RDB becomes the base of a new AOF folder."""
    aof = _data_dir(stack) / AOF_DIR
    aside = aof.with_name(AOF_DIR + ASIDE)
    shutil.rmtree(aside, ignore_errors=True)
    if aof.exists():
        aof.rename(aside)
    aof.mkdir()
    shutil.copy2(unpacked / FOLDER / RDB, aof / BASE)
    (aof / AOF_MANIFEST).write_text(f"file {BASE} seq 1 type b\n")


def put_back(stack: StackView) -> None:
    """Undo replace_files (a load that failed before the server started again)."""
    aof = _data_dir(stack) / AOF_DIR
    aside = aof.with_name(AOF_DIR + ASIDE)
    if aside.exists():
        shutil.rmtree(aof, ignore_errors=True)
        aside.rename(aof)


def forget_aside(stack: StackView) -> None:
    shutil.rmtree(_data_dir(stack) / (AOF_DIR + ASIDE), ignore_errors=True)


def _data_dir(stack: StackView) -> Path:
    return redis_service.RedisConfig(stack.settings.home).data_dir


def _call(stack: StackView, action):  # type: ignore[no-untyped-def]
    client = redis_client.Redis.from_url(
        redis_service.url(stack.settings.redis_port), socket_timeout=30, decode_responses=True
    )
    try:
        return action(client)
    except redis_client.RedisError as err:
        raise SnapshotError(f"redis: {err}", "see `sandbox logs redis`") from err
    finally:
        client.close()
