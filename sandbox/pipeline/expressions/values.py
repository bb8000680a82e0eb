"""GitHub's value semantics: what is true, how values become numbers and strings, and loose
comparison (other types are compared as numbers; strings ignore case).

Values are None (null), bool, int/float (number), str, list (array) and dict (object).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

NAN = float("nan")
NUMBER_CHARS = frozenset("0123456789.eE+-")


class FilteredArray(list[Any]):
    """The result of `x.*`: property access on it applies to every element
    (`github.event.commits.*.message`)."""


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def truthy(value: Any) -> bool:
    """false, 0, -0, NaN, '' and null are false; everything else (arrays too) is true."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return value is not None


def to_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        return _parse_number(value.strip())
    return NAN


def _parse_number(text: str) -> float:
    if text == "":
        return 0.0
    lowered = text.lower()
    try:
        if lowered.startswith(("0x", "0o")):
            return float(int(lowered, 0))
        if set(text) <= NUMBER_CHARS:
            return float(text)
    except ValueError:
        pass
    return NAN


def to_string(value: Any) -> str:
    """How a value is written into a string: null is '', an object 'Object'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, str):
        return value
    return "Array" if isinstance(value, list) else "Object"


def format_number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def loose_equal(left: Any, right: Any) -> bool:
    left_kind, right_kind = kind(left), kind(right)
    if left_kind != right_kind:
        return to_number(left) == to_number(right)  # NaN equals nothing
    if left_kind == "string":
        return str(left).casefold() == str(right).casefold()
    if left_kind in ("array", "object"):
        return left is right
    return bool(left == right)


def compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return loose_equal(left, right)
    if op == "!=":
        return not loose_equal(left, right)
    if isinstance(left, str) and isinstance(right, str):
        a: Any = left.casefold()
        b: Any = right.casefold()
    else:
        a, b = to_number(left), to_number(right)
        if math.isnan(a) or math.isnan(b):
            return False
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


def lookup(value: Any, name: str) -> Any:
    """A property by name, ignoring case like GitHub; null when there is none."""
    if isinstance(value, FilteredArray):
        found = (lookup(item, name) for item in value)
        return FilteredArray(item for item in found if item is not None)
    if not isinstance(value, Mapping):
        return None
    if name in value:
        return value[name]
    folded = name.casefold()
    return next((v for k, v in value.items() if str(k).casefold() == folded), None)
