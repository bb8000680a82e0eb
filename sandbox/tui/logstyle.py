"""Log lines for people: the level of a line (JSON or plain text), its colour, the filter."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text

_LEVEL_WORD = re.compile(r"\b(CRITICAL|FATAL|PANIC|ERROR|WARNING|WARN|INFO|DEBUG)\b")
LEVEL_COLOUR = {
    "CRITICAL": "text-error", "FATAL": "text-error", "PANIC": "text-error", "ERROR": "text-error",
    "WARNING": "text-warning", "WARN": "text-warning",
}  # fmt: skip
Palette = Callable[[], dict[str, str]]  # the theme's variables (text-error, ...) -> colours


def level_of(line: str) -> str | None:
    """ERROR, WARNING, INFO... from a JSON line's level field, else the first level word."""
    start = line.find("{")
    if start != -1:
        level = _json_level(line[start:])
        if level:
            return level
    match = _LEVEL_WORD.search(line[:120])
    return match[1] if match else None


def _json_level(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key in ("level", "levelname", "severity", "log.level"):
        if isinstance(data.get(key), str):
            return str(data[key]).upper()
    return None


_SKIP = {"timestamp", "time", "level", "levelname", "severity", "message", "msg", "logger"}


def pretty(line: str) -> str:
    """A JSON log line as `HH:MM:SS LEVEL message key=value ...`; other lines as they are."""
    start = line.find("{")
    if start == -1:
        return line
    try:
        data = json.loads(line[start:])
    except ValueError:
        return line
    if not isinstance(data, dict) or not ("message" in data or "msg" in data):
        return line
    when = str(data.get("timestamp") or data.get("time") or "")[11:19]
    level = str(data.get("level") or data.get("levelname") or "").upper()
    extra = " ".join(f"{k}={_short(v)}" for k, v in data.items() if k not in _SKIP)
    parts = [line[:start].rstrip(), when, f"{level:<7}" if level else "",
             str(data.get("message") or data.get("msg")), extra]  # fmt: skip
    return " ".join(part for part in parts if part)


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:39] + "…"


def matches(line: str, needle: str) -> bool:
    """The log filter: a case-insensitive substring (an empty filter keeps every line)."""
    return needle.lower() in line.lower()


class LevelHighlighter(Highlighter):
    """Colours an error line, a warning line, dims debug lines, and bolds the level word."""

    def __init__(self, palette: Palette) -> None:
        self.palette = palette

    def highlight(self, text: Text) -> None:
        level = level_of(text.plain)
        if level is None:
            return
        colour = self.palette().get(LEVEL_COLOUR.get(level, ""), "")
        if colour.startswith("#") and len(colour) == 7:  # the theme's text colour for it
            text.stylize(Style(color=colour))
        elif level == "DEBUG":
            text.stylize(Style(dim=True))
        index = text.plain.upper().find(level)
        if index != -1:
            text.stylize(Style(bold=True), index, index + len(level))
