"""PostgreSQL in a snapshot: `pg_dump` of every database and `pg_dumpall -g` for the roles.

A dump, not a copy of the data folder: it is consistent while the server runs (one MVCC
snapshot per database), about a hundredth of the size (a fresh cluster's files are ~48 MB),
and loads into this or any newer PostgreSQL. Loading restores each database beside the live
one (`pg_restore` into `<db>__loading`, while the app is being stopped), then drops the live
one (WITH (FORCE)) and renames the restored one over it; the server keeps running. Roles are
added or updated, never dropped.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg2

from sandbox.errors import SnapshotError
from sandbox.services import postgres
from sandbox.snapshots.stackview import StackView

FOLDER = "postgres"
GLOBALS = "globals.sql"
SIDE_SUFFIX = "__loading"  # a database restored beside the live one, renamed over it
MAINTENANCE_DB = "template1"  # to drop and create the others, `postgres` included
TIMEOUT = 300


def version(stack: StackView) -> str:
    """The server's version, e.g. "18.1"."""
    with _connect(stack, MAINTENANCE_DB) as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version")
        row = cur.fetchone()
    return str(row[0]).split()[0] if row else "unknown"


def save(stack: StackView, staging: Path) -> None:
    folder = staging / FOLDER
    folder.mkdir(parents=True)
    jobs = [_dump_argv(stack, db, folder / f"{db}.dump") for db in databases(stack)]
    jobs.append(
        [str(_bin(stack) / "pg_dumpall"), *_conn_args(stack), "-g", "-f", str(folder / GLOBALS)]
    )
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda argv: _run(stack, argv, staging), jobs))


def prepare(stack: StackView, unpacked: Path) -> list[str]:
    """Restore each database under a side name (`<db>__loading`), while the app still runs:
    the live ones are untouched until `swap`, and a failed restore leaves them as they were.
    Returns the databases prepared."""
    folder = unpacked / FOLDER
    wanted = sorted(p.stem for p in folder.glob("*.dump"))
    _run_globals(stack, folder / GLOBALS)
    try:
        _execute(stack, [f'DROP DATABASE IF EXISTS "{_side(db)}" WITH (FORCE)' for db in wanted])
        _execute(stack, [f'CREATE DATABASE "{_side(db)}"' for db in wanted])
        for db in wanted:
            _run(stack, _restore_argv(stack, _side(db), folder / f"{db}.dump"), None)
        # DROP DATABASE (in `swap`) waits for a checkpoint of every dirty page: write them
        # now, while the services are still stopping, so the swap itself is quick.
        _execute(stack, ["CHECKPOINT"])
    except SnapshotError:
        discard(stack, wanted)
        raise
    return wanted


def swap(stack: StackView, wanted: list[str]) -> None:
    """The prepared databases take the live ones' names (a live one the snapshot does not
    have is dropped: the stack is as the snapshot was)."""
    statements = []
    for db in sorted(set(databases(stack)) | set(wanted)):
        statements.append(f'DROP DATABASE IF EXISTS "{_ident(db)}" WITH (FORCE)')
        if db in wanted:
            statements.append(f'ALTER DATABASE "{_side(db)}" RENAME TO "{_ident(db)}"')
    _execute(stack, statements)


def discard(stack: StackView, wanted: list[str]) -> None:
    _execute(stack, [f'DROP DATABASE IF EXISTS "{_side(db)}" WITH (FORCE)' for db in wanted])


def _restore_argv(stack: StackView, db: str, dump: Path) -> list[str]:
    return [str(_bin(stack) / "pg_restore"), *_conn_args(stack), "--exit-on-error",
            "-d", db, str(dump)]  # fmt: skip


def _execute(stack: StackView, statements: list[str]) -> None:
    with _connect(stack, MAINTENANCE_DB) as conn:
        conn.autocommit = True  # DROP/CREATE DATABASE cannot run in a transaction
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)


def _side(db: str) -> str:
    return _ident(db + SIDE_SUFFIX)


def databases(stack: StackView) -> list[str]:
    with _connect(stack, MAINTENANCE_DB) as conn, conn.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate")
        names = [str(row[0]) for row in cur.fetchall()]
    return sorted(name for name in names if not name.endswith(SIDE_SUFFIX))


def _dump_argv(stack: StackView, db: str, target: Path) -> list[str]:
    # Uncompressed: the archive compresses everything once, with zstd.
    return [
        str(_bin(stack) / "pg_dump"),
        *_conn_args(stack),
        "-Fc",
        "-Z0",
        "-d",
        db,
        "-f",
        str(target),
    ]


def _run_globals(stack: StackView, script: Path) -> None:
    """Roles: a role that exists already fails its CREATE ROLE and gets the ALTER ROLE."""
    argv = [
        str(_bin(stack) / "psql"),
        *_conn_args(stack),
        "-X",
        "-q",
        "-d",
        MAINTENANCE_DB,
        "-f",
        str(script),
    ]
    done = subprocess.run(
        argv, env=_env(), capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    errors = [
        line
        for line in done.stderr.splitlines()
        if "ERROR" in line and "already exists" not in line
    ]
    if errors:
        raise SnapshotError(
            f"postgres: restoring the roles failed: {errors[0]}", "see `sandbox logs postgres`"
        )


def _run(stack: StackView, argv: list[str], writing_to: Path | None) -> None:
    done = subprocess.run(
        argv, env=_env(), capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    if done.returncode == 0:
        return
    message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no output"
    if writing_to is not None:
        for text, code in _WRITE_FAILURES.items():
            if text in done.stderr:  # the folder's problem: the caller names the folder
                raise OSError(code, os.strerror(code), str(writing_to))
    raise SnapshotError(
        f"postgres: {Path(argv[0]).name} failed: {message}", "see `sandbox logs postgres`"
    )


_WRITE_FAILURES = {  # pg_dump's words for a failed write, as strerror says them
    os.strerror(code): code
    for code in (errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EDQUOT)
}


@contextmanager
def _connect(stack: StackView, db: str) -> Iterator[psycopg2.extensions.connection]:
    try:
        conn = psycopg2.connect(postgres.url(stack.settings.postgres_port, db), connect_timeout=5)
    except psycopg2.Error as err:
        raise SnapshotError(
            f"postgres does not answer: {str(err).strip()}",
            "check `sandbox status`; `sandbox up` starts it",
        ) from err
    try:
        yield conn
    except psycopg2.Error as err:
        raise SnapshotError(f"postgres: {str(err).strip()}", "see `sandbox logs postgres`") from err
    finally:
        conn.close()


def _conn_args(stack: StackView) -> list[str]:
    return ["-h", "127.0.0.1", "-p", str(stack.settings.postgres_port), "-U", postgres.USER]


def _env() -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": postgres.PASSWORD, "PGCONNECT_TIMEOUT": "5"}


def _bin(stack: StackView) -> Path:
    return postgres.find_bin_dir(stack.settings.postgres_bin_dir)


def _ident(name: str) -> str:
    return name.replace('"', '""')
