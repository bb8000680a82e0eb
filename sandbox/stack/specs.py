"""The four services of the stack, their ports, readiness checks and environment.

Both backends start the same services; only how they run them differs.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

from sandbox.config import Settings
from sandbox.readiness import Readiness
from sandbox.services import app, aws, postgres
from sandbox.services import redis as redis_service

SERVICE_NAMES = ("postgres", "redis", "aws", "app")
STOP_ORDER = ("app", "aws", "redis", "postgres")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    url: str
    readiness: Readiness
    depends_on: tuple[str, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    stop_signal: int = signal.SIGTERM  # how to stop a process of it we did not spawn ourselves


def service_specs(settings: Settings) -> dict[str, ServiceSpec]:
    pg_url = postgres.url(settings.postgres_port)
    redis_url = redis_service.url(settings.redis_port)
    return {
        "postgres": ServiceSpec(
            "postgres", settings.postgres_port, pg_url,
            postgres.readiness(settings.postgres_port, settings.postgres_bin_dir),
            stop_signal=postgres.STOP_SIGNAL,
        ),
        "redis": ServiceSpec(
            "redis", settings.redis_port, redis_url, redis_service.readiness(settings.redis_port)
        ),
        "aws": ServiceSpec(
            "aws", settings.aws_port, aws.url(settings.aws_port), aws.readiness(settings.aws_port)
        ),
        "app": ServiceSpec(
            "app", settings.app_port, app.url(settings.app_port), app.readiness(settings.app_port),
            depends_on=("postgres", "redis"),
            environment={"DATABASE_URL": pg_url, "REDIS_URL": redis_url},
        ),
    }  # fmt: skip
