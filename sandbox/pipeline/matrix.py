"""strategy.matrix to the list of combinations a job runs with, by GitHub's rules.

Every combination of the listed values, minus those an `exclude` entry matches (all of its
keys), then each `include` entry: added to every combination whose original values it does
not change, or, when it fits none, a combination of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from sandbox.pipeline.expressions.values import loose_equal, to_string

MAX_COMBINATIONS = 256  # GitHub's limit for one workflow run's matrix


class MatrixError(ValueError):
    """The matrix cannot be expanded; the message says what to change."""


def expand(matrix: Any) -> list[dict[str, Any]]:
    """The combinations; [{}] when there is no matrix (the job runs once)."""
    if matrix is None:
        return [{}]
    if not isinstance(matrix, Mapping):
        raise MatrixError(f"strategy.matrix is {to_string(matrix)!r}: it must be a mapping")
    vectors = {str(k): v for k, v in matrix.items() if k not in ("include", "exclude")}
    combos = _product(vectors)
    combos = [c for c in combos if not any(_matches(c, x) for x in _entries(matrix, "exclude"))]
    combos = _include(combos, set(vectors), _entries(matrix, "include"))
    if not combos and not vectors:
        return [{}]
    if not combos:
        raise MatrixError("strategy.matrix gives no combination: every one is excluded")
    if len(combos) > MAX_COMBINATIONS:
        raise MatrixError(f"strategy.matrix gives {len(combos)} combinations: at most 256")
    return combos


def _product(vectors: Mapping[str, Any]) -> list[dict[str, Any]]:
    for key, values in vectors.items():
        if not isinstance(values, list) or not values:
            raise MatrixError(
                f"strategy.matrix.{key} must be a non-empty list of values, not "
                f"{to_string(values) or 'empty'}"
            )
    if not vectors:
        return []  # only `include`: each entry is a combination of its own
    keys = list(vectors)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*vectors.values())]


def _entries(matrix: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    entries = matrix.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise MatrixError(f"strategy.matrix.{key} must be a list of mappings")
    return entries


def _matches(combo: Mapping[str, Any], partial: Mapping[str, Any]) -> bool:
    return all(key in combo and _same(combo[key], value) for key, value in partial.items())


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return _matches(left, right) and len(left) == len(right)
    return loose_equal(left, right) or left == right


def _include(
    combos: list[dict[str, Any]], original: set[str], includes: list[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    # The original values, which includes never change; None for a combination an include
    # made on its own (later includes are not added to it).
    base: list[dict[str, Any] | None] = [dict(c) for c in combos]
    result = [dict(c) for c in combos]
    for entry in includes:
        fits = [i for i, c in enumerate(base) if c is not None and _keeps(c, entry, original)]
        for i in fits:
            result[i].update(entry)
        if not fits:
            result.append(dict(entry))
            base.append(None)
    return result


def _keeps(combo: Mapping[str, Any], entry: Mapping[str, Any], original: set[str]) -> bool:
    return all(_same(combo[k], v) for k, v in entry.items() if k in original and k in combo)


def leg_name(job_name: str, combo: Mapping[str, Any]) -> str:
    """GitHub's display name of one combination's job: `test (3.12, ubuntu-latest)`."""
    if not combo:
        return job_name
    shown = [to_string(v) for v in combo.values() if not isinstance(v, Mapping | list)]
    return f"{job_name} ({', '.join(shown)})"
