"""Small formatting helpers shared by the widgets (times in UTC, like the services' logs)."""

from __future__ import annotations

import time


def duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def clock(epoch: float) -> str:
    """HH:MM:SS in UTC (every service logs in UTC)."""
    return time.strftime("%H:%M:%S", time.gmtime(epoch))


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"
