"""The fault-injection server (Toxiproxy's HTTP API), run as our child on 127.0.0.1.

It is ``python -m sandbox.faults`` from this same Python. Its state file keeps the proxies
across restarts, never the toxics: stopping it (``down``) clears every fault, and
``wipe`` (for ``reset``) forgets the proxies too. Stopped with SIGTERM.
"""

from __future__ import annotations

import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.errors import DataDirError
from sandbox.readiness import HttpCheck
from sandbox.services.base import ServiceDef
from sandbox.services.process import ServerProcess, ensure_port_free, spawn, wait_until_ready

if TYPE_CHECKING:
    from sandbox.config import Settings

SERVICE = "faults"
DEFAULT_PORT = 8474  # Toxiproxy's, so clients find it without configuration


@dataclass(frozen=True)
class FaultsConfig:
    home: Path
    port: int = DEFAULT_PORT
    start_timeout: float = 15.0

    @property
    def data_dir(self) -> Path:
        return self.home / SERVICE

    @property
    def state_path(self) -> Path:
        return self.data_dir / "proxies.json"

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / f"{SERVICE}.log"


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def start(config: FaultsConfig) -> ServerProcess:
    """Start the server, restoring its proxies (without toxics), and return once /version
    answers."""
    ensure_port_free(SERVICE, config.port, "SANDBOX_FAULTS_PORT")
    _prepare_data_dir(config.data_dir)
    popen = spawn(SERVICE, argv(config), config.log_path, cwd=config.data_dir)
    server = ServerProcess(
        SERVICE, popen, config.port, url(config.port), config.log_path, signal.SIGTERM
    )
    wait_until_ready(server, readiness(config.port), config.start_timeout)
    return server


def argv(config: FaultsConfig) -> list[str]:
    port, state = str(config.port), str(config.state_path)
    return [sys.executable, "-m", "sandbox.faults", "--port", port, "--state", state]


def readiness(port: int) -> HttpCheck:
    return HttpCheck(f"{url(port)}/version", contains=b'"version"')


def wipe(config: FaultsConfig) -> None:
    """Forget the proxies (the state file); for `reset`, with the server stopped."""
    shutil.rmtree(config.data_dir, ignore_errors=True)


def _prepare_data_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataDirError(
            SERVICE,
            f"cannot create the data directory {data_dir}: {err.strerror}",
            "make the folder writable, or set SANDBOX_HOME to a writable folder",
        ) from err


__all__ = ["DEFAULT_PORT", "SERVICE", "FaultsConfig", "argv", "readiness", "start", "url", "wipe"]


def start_from(settings: Settings) -> ServerProcess:
    return start(FaultsConfig(settings.home, settings.ports[SERVICE]))


DEFINITION = ServiceDef(
    name=SERVICE,
    title="fault injector",
    default_port=DEFAULT_PORT,
    launch=start_from,
    readiness=lambda s: readiness(s.ports[SERVICE]),
    url=url,
)
