"""Reading the services' log files: the last lines, lines since a time, following new ones.

Every server writes its own timestamp format; lines without one (tracebacks, continuation
lines) take the time of the line before them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sandbox.errors import ConfigError

# (pattern, strptime format) for PostgreSQL, Valkey/Redis, ministack/supervisor lines.
_FORMATS = (
    (re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.\d+)? UTC"), "%Y-%m-%d %H:%M:%S"),
    (re.compile(r"(\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2})"), "%d %b %Y %H:%M:%S"),
    (re.compile(r"^\[?(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})"), "%Y-%m-%d %H:%M:%S"),
)
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'90s', '10m', '2h', '1d', or an ISO 8601 time (UTC when no zone is given)."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--since {text!r} is not a duration or a time",
            "use a duration like 30s, 10m, 2h, 1d, or a time like 2026-11-27T10:00:00",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def line_time(line: str) -> datetime | None:
    """The timestamp a log line starts with, in UTC, or None."""
    if line.startswith("{"):
        try:
            stamp = json.loads(line).get("timestamp", "")
            return datetime.fromisoformat(stamp).astimezone(UTC) if stamp else None
        except (ValueError, AttributeError):
            return None
    for pattern, fmt in _FORMATS:
        match = pattern.search(line[:40])
        if match:
            return datetime.strptime(match[1].replace("T", " "), fmt).replace(tzinfo=UTC)
    return None


def read_lines(path: Path, since: datetime | None = None, last: int | None = None) -> list[str]:
    """The file's lines, optionally only those at or after `since`, and only the `last` N."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []
    if since is not None:
        lines = _since(lines, since)
    return lines[-last:] if last else lines


def _since(lines: list[str], since: datetime) -> list[str]:
    kept, current = [], None
    for line in lines:
        current = line_time(line) or current
        if current is not None and current >= since:
            kept.append(line)
    return kept


class _Tail:
    """The unread end of one growing file."""

    def __init__(self, path: Path, from_end: bool) -> None:
        self.path = path
        self.position = path.stat().st_size if (from_end and path.exists()) else 0
        self.pending = ""

    def new_lines(self) -> list[str]:
        if not self.path.exists():
            return []
        size = self.path.stat().st_size
        if size < self.position:  # truncated or replaced: start over
            self.position = 0
        if size == self.position:
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.position)
            self.pending += handle.read().decode(errors="replace")
            self.position = handle.tell()
        *complete, self.pending = self.pending.split("\n")
        return complete


def follow(
    paths: dict[str, Path], stop: Callable[[], bool], interval: float = 0.2
) -> Iterator[tuple[str, str]]:
    """(name, line) for each line appended to any of `paths` until `stop()` is true."""
    tails = {name: _Tail(path, from_end=True) for name, path in paths.items()}
    while not stop():
        for name, tail in tails.items():
            for line in tail.new_lines():
                yield name, line
        time.sleep(interval)


def service_log(home: Path, service: str) -> Path:
    return home / "logs" / f"{service}.log"


NOTE_MARK = " UTC] [sandbox] "


def append_note(log_path: Path, text: str) -> None:
    """A line from the sandbox itself in a service's log (why it stopped, crashed, ...)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as handle:
        handle.write(f"[{stamp}{NOTE_MARK}{text}\n")


def is_note(line: str) -> bool:
    """True for the sandbox's own lines in a service's log (not the service's output)."""
    return line.startswith("[") and NOTE_MARK in line[:40]
