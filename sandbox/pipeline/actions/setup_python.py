"""actions/setup-python: the interpreter running the sandbox, when it is the version asked
for (its folder goes first on PATH, as setup-python does); otherwise the step fails."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from sandbox.pipeline.actions.base import ActionCall, ActionFailed, ActionResult


def setup_python(call: ActionCall) -> ActionResult:
    wanted = _wanted(call)
    current = platform.python_version()
    if wanted and not any(matches(spec, current) for spec in wanted):
        raise ActionFailed(_mismatch(wanted, current))
    bin_dir = str(Path(sys.executable).parent)
    call.log(f"Python {current} at {sys.executable} (this interpreter)")
    if call.input("cache"):
        call.log(f"cache: {call.input('cache')} is not restored or saved locally")
    return ActionResult(
        outputs={"python-version": current, "python-path": sys.executable, "cache-hit": "false"},
        env={"pythonLocation": sys.prefix, "Python_ROOT_DIR": sys.prefix},
        path=[bin_dir],
    )


def _wanted(call: ActionCall) -> list[str]:
    """python-version (one a line), else the first line of python-version-file."""
    text = call.input("python-version")
    version_file = call.input("python-version-file")
    if not text and version_file:
        path = call.workspace / version_file
        try:
            text = path.read_text(encoding="utf-8").strip().splitlines()[0]
        except (OSError, IndexError):
            raise ActionFailed(f"python-version-file: cannot read {version_file}") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def matches(spec: str, version: str) -> bool:
    """'3.12' takes 3.12.x; '3.x' any 3; '3.12.1' exactly; '>=3.11 <3.14' every comparison;
    'pypy3.10' only on PyPy."""
    spec = spec.strip()
    if spec.lower().startswith(("pypy", "graalpy")):
        return platform.python_implementation().lower() in spec.lower()
    if spec[:1] in "<>=!":
        return _specifier(spec, version)
    spec = spec.removesuffix("-dev")
    wanted = [part for part in spec.split(".") if part not in ("x", "*")]
    return version.split(".")[: len(wanted)] == wanted


OPERATORS = ("==", "!=", ">=", "<=", ">", "<")


def _specifier(spec: str, version: str) -> bool:
    """'>=3.10 <3.13' or '>=3.10,<3.13': every comparison holds (versions as numbers)."""
    have = _numbers(version)
    for part in spec.replace(",", " ").split():
        op = next((o for o in OPERATORS if part.startswith(o)), None)
        if op is None or not _numbers(part[len(op) :]):
            raise ActionFailed(f"python-version: `{spec}` is not a version range like >=3.11")
        want = _numbers(part[len(op) :])
        mine = have[: len(want)] if op in ("==", "!=") else have
        if not {
            "==": mine == want,
            "!=": mine != want,
            ">=": mine >= want,
            "<=": mine <= want,
            ">": mine > want,
            "<": mine < want,
        }[op]:
            return False
    return True


def _numbers(text: str) -> tuple[int, ...]:
    parts = text.strip().split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else ()


def _mismatch(wanted: list[str], current: str) -> str:
    message = (
        f"python-version {', '.join(wanted)} is not this interpreter ({current} at "
        f"{sys.executable}): use python-version: '{'.'.join(current.split('.')[:2])}', or run "
        "the sandbox with that Python"
    )
    if any(spec.count(".") == 1 and spec.endswith(".1") for spec in wanted):
        message += " (YAML reads an unquoted 3.10 as the number 3.1: quote it, '3.10')"
    return message
