"""The functions expressions may call (other than the status functions, which need the
run's state: see evaluate.py). Each takes already evaluated arguments."""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.pipeline.expressions.errors import ExpressionError
from sandbox.pipeline.expressions.values import loose_equal, to_string


def contains(search: Any, item: Any) -> bool:
    """An element of an array, or a substring (ignoring case) of a string."""
    if isinstance(search, list):
        return any(loose_equal(element, item) for element in search)
    return to_string(item).casefold() in to_string(search).casefold()


def starts_with(text: Any, prefix: Any) -> bool:
    return to_string(text).casefold().startswith(to_string(prefix).casefold())


def ends_with(text: Any, suffix: Any) -> bool:
    return to_string(text).casefold().endswith(to_string(suffix).casefold())


def format_text(template: Any, *args: Any) -> str:
    """format('{0} and {1}', a, b); {{ and }} are literal braces."""
    text, out, i = to_string(template), [], 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in ("{{", "}}"):
            out.append(pair[0])
            i += 2
        elif text[i] == "{":
            close = text.find("}", i)
            number = text[i + 1 : close] if close > i else ""
            if not number.isdigit() or int(number) >= len(args):
                raise ExpressionError(
                    f"format(): `{text}` has a bad placeholder at {i + 1}",
                    f"use {{0}} to {{{len(args) - 1}}} for the arguments, {{{{ for a brace",
                )
            out.append(to_string(args[int(number)]))
            i = close + 1
        elif text[i] == "}":
            raise ExpressionError(f"format(): `{text}` has a lone }}", "write }} for a brace")
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def join(values: Any, separator: Any = ",") -> str:
    if isinstance(values, list):
        return to_string(separator).join(to_string(value) for value in values)
    return to_string(values)


def to_json(value: Any) -> str:
    return json.dumps(_plain(value), indent=2)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def from_json(text: Any) -> Any:
    raw = to_string(text)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as err:
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        raise ExpressionError(
            f"fromJSON(): `{shown}` is not JSON ({err.msg})",
            "pass a JSON text, e.g. a step output written with toJSON or json.dumps",
        ) from None


def hash_files(workspace: Path, *patterns: Any) -> str:
    """SHA-256 over the SHA-256 of each file matched (sorted), '' when none matches; a
    pattern starting with ! removes matches."""
    chosen: set[Path] = set()
    for pattern in (to_string(p) for p in patterns):
        negate = pattern.startswith("!")
        found = glob.glob(pattern.lstrip("!"), root_dir=workspace, recursive=True)
        files = {workspace / name for name in found if (workspace / name).is_file()}
        chosen = chosen - files if negate else chosen | files
    if not chosen:
        return ""
    total = hashlib.sha256()
    for path in sorted(chosen):
        total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


PURE: dict[str, Callable[..., Any]] = {
    "contains": contains,
    "startswith": starts_with,
    "endswith": ends_with,
    "format": format_text,
    "join": join,
    "tojson": to_json,
    "fromjson": from_json,
}
