"""The emulator's warm Lambda workers of published versions, bounded.

ministack keeps the first worker of every function and qualifier warm for good, and every
release publishes a version: a learner who grades lab 05 fifty times (two versions each)
was left with a hundred idle Python workers of about 45 MB. Here, whenever a worker starts
for a published version, the function's other version workers are trimmed: the versions an
alias points to keep theirs (the triggers follow `live`), and of the rest only the
KEPT_UNALIASED used last stay warm. AWS recycles idle execution environments too; invoking
a version whose worker was stopped starts a new one (a cold start).

ministack 1.5.33's private names are used (`acquire_worker`, the runtime's `_workers`,
`_lock` and `kill_workers`): the version is pinned exactly, and
tests/unit/test_emulator_tuning.py guards them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

KEPT_UNALIASED = 2  # per function: a smoke test's version stays warm while it is tried

Acquire = Callable[..., tuple[Any, str]]


def bounded(acquire: Acquire, runtime: Any, aliased: Callable[[str], set[str]]) -> Acquire:
    """`acquire` (ministack's acquire_worker), trimming the version workers after a spawn.
    `aliased(function)` names the versions its aliases point to."""

    def acquire_worker(func_name: str, config: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        worker, reason = acquire(func_name, config, *args, **kwargs)
        if reason == "spawn" and str(config.get("Version", "$LATEST")).isdigit():
            stopped = surplus(runtime, func_name, aliased(func_name))
            if stopped:  # stopping waits for them to exit: not on the invocation's time
                threading.Thread(target=runtime.kill_workers, args=(stopped,), daemon=True,
                                 name="sandbox-worker-trim").start()  # fmt: skip
        return worker, reason

    return acquire_worker


def surplus(runtime: Any, function: str, aliased: set[str]) -> list[Any]:
    """Removes from the pool, and returns, the idle workers of `function`'s published
    versions that no alias points to, but for the KEPT_UNALIASED used last."""
    with runtime._lock:
        idle = [
            (worker.last_used, key, worker)
            for key, entries in runtime._workers.items()
            if _version_of(key, function) not in (None, *aliased)
            for worker in entries
            if not worker.in_use
        ]
        idle.sort(key=lambda found: found[0], reverse=True)
        stopped = idle[KEPT_UNALIASED:]
        for _, key, worker in stopped:
            runtime._workers[key].remove(worker)
            if not runtime._workers[key]:
                del runtime._workers[key]
    return [worker for _, _, worker in stopped]


def _version_of(key: str, function: str) -> str | None:
    """The published version a pool key ("account:region:function:qualifier") is for, when
    it is `function`'s; None for another function, $LATEST or an alias."""
    *_, name, qualifier = key.split(":")
    return qualifier if name == function and qualifier.isdigit() else None


def alias_targets(functions: Any) -> Callable[[str], set[str]]:
    """The versions each alias of a function points to, read from ministack's records."""

    def aliased(function: str) -> set[str]:
        record = functions.get(function) or {}
        aliases = record.get("aliases", {}).values()
        return {str(alias.get("FunctionVersion", "")) for alias in aliases}

    return aliased
