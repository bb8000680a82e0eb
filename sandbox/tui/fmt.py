"""Small formatting helpers shared by the widgets (times in UTC, like the services' logs)."""

from __future__ import annotations

import time

from sandbox.stack.render import duration

__all__ = ["clock", "duration"]


def clock(epoch: float) -> str:
    """HH:MM:SS in UTC (every service logs in UTC)."""
    return time.strftime("%H:%M:%S", time.gmtime(epoch))


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"
