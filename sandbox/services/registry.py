"""Every service of the stack, one line each, in start order: a service comes after the
services it depends on (a test holds the order to that)."""

from __future__ import annotations

from sandbox.services import app as app_service
from sandbox.services import aws, faults, postgres, redis
from sandbox.services.base import ServiceDef

SERVICES: tuple[ServiceDef, ...] = (
    postgres.DEFINITION,
    redis.DEFINITION,
    aws.DEFINITION,
    faults.DEFINITION,
    app_service.DEFINITION,
)


def names() -> tuple[str, ...]:
    return tuple(s.name for s in SERVICES)


def by_name() -> dict[str, ServiceDef]:
    return {s.name: s for s in SERVICES}


def stop_order() -> tuple[str, ...]:
    """The reverse of the start order: dependents (the app) before what they depend on."""
    return tuple(reversed(names()))
