"""The AWS emulator: ministack, run as our child on 127.0.0.1 with state in the state dir.

Pitfalls handled here: ministack binds 0.0.0.0 unless BIND_HOST is set; its IoT mTLS and
SFTP listeners open extra ports on every interface unless disabled; it persists state only
with PERSIST_STATE/S3_PERSIST and only on a graceful stop (SIGTERM), never on SIGKILL.
Its Lambda workers are subprocesses of the same Python, so boto3 is importable there.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import BinaryNotFoundError, DataDirError
from sandbox.readiness import HttpCheck
from sandbox.services.process import ServerProcess, ensure_port_free, spawn, wait_until_ready

SERVICE = "aws"
HEALTH_PATH = "/_localstack/health"
REGION = "us-east-1"


@dataclass(frozen=True)
class AwsConfig:
    home: Path
    port: int = 4566
    start_timeout: float = 30.0

    @property
    def data_dir(self) -> Path:
        return self.home / SERVICE

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / f"{SERVICE}.log"


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def start(config: AwsConfig) -> ServerProcess:
    """Start the emulator and return once its health endpoint answers."""
    if importlib.util.find_spec("ministack") is None:
        raise BinaryNotFoundError(
            SERVICE, "the ministack emulator is not installed", "run `make install`"
        )
    ensure_port_free(SERVICE, config.port, "SANDBOX_AWS_PORT")
    _prepare(config)
    argv = [sys.executable, "-m", "ministack"]
    popen = spawn(SERVICE, argv, config.log_path, env=environment(config), cwd=config.data_dir)
    server = ServerProcess(
        SERVICE, popen, config.port, url(config.port), config.log_path, signal.SIGTERM
    )
    wait_until_ready(server, readiness(config.port), config.start_timeout)
    return server


def environment(config: AwsConfig) -> dict[str, str]:
    data = config.data_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "AWS_"))}
    env.update(
        GATEWAY_PORT=str(config.port),
        BIND_HOST="127.0.0.1",
        IOT_MTLS_ENABLED="0",
        SFTP_ENABLED="0",
        PERSIST_STATE="1",
        STATE_DIR=str(data / "state"),
        S3_PERSIST="1",
        S3_DATA_DIR=str(data / "s3"),
        TMPDIR=str(data / "tmp"),  # its pid file and Lambda scratch space stay in the state dir
        MINISTACK_REGION=REGION,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


def _prepare(config: AwsConfig) -> None:
    try:
        for sub in ("state", "s3", "tmp"):
            (config.data_dir / sub).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataDirError(
            SERVICE,
            f"cannot create the emulator's data directory under {config.home}: {err}",
            "make the folder writable, or set SANDBOX_HOME to a writable folder",
        ) from err


def readiness(port: int) -> HttpCheck:
    return HttpCheck(url(port) + HEALTH_PATH, contains=b'"services"')
