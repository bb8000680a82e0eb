"""Run PostgreSQL, Redis and the app together for as long as a `with` block lasts."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox.config import Settings
from sandbox.services import app as app_service
from sandbox.services import postgres
from sandbox.services import redis as redis_service
from sandbox.services.process import ServerProcess


@contextlib.contextmanager
def running(
    settings: Settings, progress: Callable[[str], None] = lambda _m: None
) -> Iterator[dict[str, dict[str, Any]]]:
    """Start the servers (databases in parallel, then the app); stop them all on exit."""
    started: list[ServerProcess] = []
    try:
        progress("starting postgres and redis ...")
        with ThreadPoolExecutor(2) as pool:
            pg_future = pool.submit(postgres.start, _pg_config(settings))
            rd_future = pool.submit(redis_service.start, _redis_config(settings))
            for future in (pg_future, rd_future):
                with contextlib.suppress(Exception):
                    started.append(future.result())
            pg, rd = pg_future.result(), rd_future.result()  # re-raises the first failure
        progress("starting the app ...")
        started.append(app_service.start(_app_config(settings, pg.url, rd.url)))
        yield {server.service: _describe(server) for server in started}
    finally:
        for server in reversed(started):
            server.stop()


def _pg_config(settings: Settings) -> postgres.PostgresConfig:
    return postgres.PostgresConfig(
        home=settings.home, port=settings.postgres_port, bin_dir=settings.postgres_bin_dir
    )


def _redis_config(settings: Settings) -> redis_service.RedisConfig:
    return redis_service.RedisConfig(home=settings.home, port=settings.redis_port)


def _app_config(settings: Settings, db_url: str, redis_url: str) -> app_service.AppServiceConfig:
    return app_service.AppServiceConfig(
        home=settings.home,
        app_dir=settings.app_dir,
        database_url=db_url,
        redis_url=redis_url,
        port=settings.app_port,
    )


def _describe(server: ServerProcess) -> dict[str, Any]:
    return {"url": server.url, "pid": server.pid, "port": server.port, "log": str(server.log_path)}
