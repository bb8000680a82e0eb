"""How the embedded backend starts each service: one launcher call per registered service."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sandbox.config import Settings
from sandbox.services.process import ServerProcess
from sandbox.services.registry import SERVICES

Launcher = Callable[[], ServerProcess]


def launchers(settings: Settings) -> dict[str, Launcher]:
    return {d.name: partial(d.launch, settings) for d in SERVICES}
