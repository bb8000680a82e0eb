"""The Flask app under gunicorn, pointed at the embedded PostgreSQL and Redis.

`app_dir` is the folder that holds the `app` package: the repository, or a learner's
workspace copy of it.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox import __version__
from sandbox.errors import BinaryNotFoundError, DataDirError
from sandbox.readiness import HttpCheck
from sandbox.services import postgres
from sandbox.services import redis as redis_service
from sandbox.services.base import ServiceDef
from sandbox.services.process import ServerProcess, ensure_port_free, spawn, wait_until_ready

if TYPE_CHECKING:
    from sandbox.config import Settings

SERVICE = "app"


@dataclass(frozen=True)
class AppServiceConfig:
    home: Path
    app_dir: Path
    database_url: str
    redis_url: str
    port: int = 8080
    workers: int = 2
    threads: int = 4
    start_timeout: float = 30.0
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / f"{SERVICE}.log"

    @property
    def metrics_dir(self) -> Path:
        return self.home / SERVICE / "metrics"


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def start(config: AppServiceConfig) -> ServerProcess:
    """Start gunicorn and return once /health answers 200."""
    conf_file = config.app_dir / "app" / "gunicorn.conf.py"
    if not config.app_dir.is_dir():
        raise DataDirError(
            SERVICE,
            f"the app's folder {config.app_dir} does not exist",
            "if a lab workspace was deleted, `sandbox lab stop` points the stack back at the "
            "project's own app",
        )
    if not conf_file.is_file():
        raise BinaryNotFoundError(
            SERVICE,
            f"no app/gunicorn.conf.py under {config.app_dir}",
            "point SANDBOX_APP_DIR at the folder that contains the app/ package",
        )
    ensure_port_free(SERVICE, config.port, "SANDBOX_APP_PORT")
    _fresh_metrics_dir(config.metrics_dir)
    argv = [sys.executable, "-m", "gunicorn", "-c", str(conf_file), "app:create_app()"]
    popen = spawn(SERVICE, argv, config.log_path, env=_environment(config), cwd=config.app_dir)
    # SIGTERM is gunicorn's graceful stop: in-flight requests finish, then workers exit.
    server = ServerProcess(
        SERVICE, popen, config.port, url(config.port), config.log_path, signal.SIGTERM
    )
    wait_until_ready(server, readiness(config.port), config.start_timeout)
    return server


def _fresh_metrics_dir(folder: Path) -> None:
    """Multiprocess metrics files of an earlier run would be counted again: start empty.
    Made here, not only in gunicorn.conf.py, so any app config (a learner's) finds it."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def _environment(config: AppServiceConfig) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SANDBOX_")}
    env.update(
        DATABASE_URL=config.database_url,
        REDIS_URL=config.redis_url,
        BIND=f"127.0.0.1:{config.port}",
        WEB_CONCURRENCY=str(config.workers),
        THREADS=str(config.threads),
        PROMETHEUS_MULTIPROC_DIR=str(config.metrics_dir),
        PYTHONPATH=str(config.app_dir),
        PYTHONUNBUFFERED="1",
    )
    env.update(config.extra_env)
    return env


def readiness(port: int) -> HttpCheck:
    return HttpCheck(f"{url(port)}/health")


def start_from(settings: Settings) -> ServerProcess:
    # Where the app's code lives is read at each start: `sandbox lab start/stop` points it
    # at a workspace or back, then restarts only the app.
    return start(app_config(settings.repointed()))


def app_config(settings: Settings) -> AppServiceConfig:
    return AppServiceConfig(
        home=settings.home,
        app_dir=settings.app_dir,
        database_url=postgres.url(settings.postgres_port),
        redis_url=redis_service.url(settings.redis_port),
        port=settings.app_port,
        # Config the app must read from its environment (lab 01 checks it does).
        extra_env={"ENVIRONMENT": "sandbox", "APP_VERSION": __version__},
    )


DEFINITION = ServiceDef(
    name=SERVICE,
    title="app",
    default_port=8080,
    launch=start_from,
    readiness=lambda s: readiness(s.app_port),
    url=url,
    depends_on=("postgres", "redis"),
    container_port=8080,
)
