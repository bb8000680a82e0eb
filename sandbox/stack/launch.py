"""How the embedded backend starts each service: one launcher call per service name."""

from __future__ import annotations

from collections.abc import Callable

from sandbox import __version__
from sandbox.config import Settings
from sandbox.services import app, aws, postgres
from sandbox.services import redis as redis_service
from sandbox.services.process import ServerProcess

Launcher = Callable[[], ServerProcess]


def launchers(settings: Settings) -> dict[str, Launcher]:
    home = settings.home
    pg = postgres.PostgresConfig(home, settings.postgres_port, settings.postgres_bin_dir)
    rd = redis_service.RedisConfig(home, settings.redis_port)
    emulator = aws.AwsConfig(home, settings.aws_port)
    return {
        "postgres": lambda: postgres.start(pg),
        "redis": lambda: redis_service.start(rd),
        "aws": lambda: aws.start(emulator),
        # Where the app's code lives is read at each start: `sandbox lab start/stop` points
        # it at a workspace or back, then restarts only the app.
        "app": lambda: app.start(app_config(settings.repointed())),
    }


def app_config(settings: Settings) -> app.AppServiceConfig:
    return app.AppServiceConfig(
        home=settings.home,
        app_dir=settings.app_dir,
        database_url=postgres.url(settings.postgres_port),
        redis_url=redis_service.url(settings.redis_port),
        port=settings.app_port,
        # Config the app must read from its environment (lab 01 checks it does).
        extra_env={"ENVIRONMENT": "sandbox", "APP_VERSION": __version__},
    )
