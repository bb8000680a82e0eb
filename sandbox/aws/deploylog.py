"""What each deploy, release and rollback of a function did, written while it holds the
function's lock (deploylock.py), next to the lock file: the code it deployed, whether `live`
moved, and the pipeline run that did it.

The run is GITHUB_RUN_ID, which every step of a GitHub Actions run has (here and on GitHub),
so a change made by `sandbox deploy` inside a run is the run's. The pipeline check reads it
to know what its own run did to `live` while other runs deploy at the same time.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sandbox import atomicfile
from sandbox.aws.deploylock import lock_path

KEPT = 400  # entries; the oldest go first (a grading needs only its own runs')
RUN_VARIABLE = "GITHUB_RUN_ID"


@dataclass(frozen=True)
class Entry:
    action: str  # deploy (triggers on $LATEST), release, rollback
    code: str = ""  # the CodeSha256 Lambda reports for what it deployed or published
    version: str = ""  # the version a release published
    live_from: str | None = None  # where `live` was, when this moved it
    live_to: str | None = None  # where this moved `live` (None: it did not move it)
    run: str = field(default_factory=lambda: os.environ.get(RUN_VARIABLE, ""))
    at: float = field(default_factory=time.time)


def log_path(endpoint: str, function: str) -> Path:
    return lock_path(endpoint, function).with_suffix(".log")


def record(endpoint: str, function: str, entry: Entry) -> None:
    """Append one entry; call it while holding the function's lock (one writer at a time)."""
    path = log_path(endpoint, function)
    lines = [*_lines(path)[-(KEPT - 1) :], json.dumps(asdict(entry))]
    atomicfile.write_text(path, "\n".join(lines) + "\n")  # never half a file


def by_run(endpoint: str, function: str, run: str) -> list[Entry]:
    """What the pipeline run `run` did to the function, oldest first."""
    entries = []
    for line in _lines(log_path(endpoint, function)):
        try:
            entry = Entry(**json.loads(line))
        except (ValueError, TypeError):
            continue  # a line from another version of the sandbox: not this run's
        if entry.run == run:
            entries.append(entry)
    return entries


def _lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line]
    except FileNotFoundError:
        return []
