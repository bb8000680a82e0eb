"""How long each step of `sandbox demo` takes with no pauses, read from its own cast.

    .venv/bin/python bench/demo.py

Runs the whole tour headless (its own throw-away stack on free ports, removed at the end),
records it, and reports every step's time from the cast's timestamps. Prints JSON. A
benchmark, not a test.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import machine  # bench/machine.py: the script's own folder is on sys.path

from sandbox.demo.cast import Cast, Output
from sandbox.demo.tour import run_tour

BANNER = re.compile(r"\[(\d)/\d\] ([^:\x1b]+)")


def step_times(cast: Path) -> dict[str, float]:
    """Seconds from each step's banner to the next one (the last: to the cleanup line)."""
    marks: list[tuple[str, float]] = []
    for line in cast.read_text().splitlines()[1:]:
        at, _, text = json.loads(line)
        found = BANNER.search(text)
        if found:
            marks.append((f"{found.group(1)} {found.group(2).strip()}", at))
        elif "Removing the demo's stack" in text:
            marks.append(("cleanup", at))
    return {name: round(end - start, 2) for (name, start), (_, end) in itertools.pairwise(marks)}


def main() -> None:
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        path = Path(tmp) / "demo.cast"
        cast = Cast(path, "bench")
        try:
            with contextlib.redirect_stdout(sys.stderr):  # the tour on stderr, JSON on stdout
                steps_done = run_tour(Output(cast), pace=0.0)
        finally:
            cast.close()
        times = step_times(path)
    print(
        json.dumps(
            {
                "steps_done": steps_done,
                "step_s": times,
                "tour_s": round(sum(times.values()), 1),
                **machine.context(began, load_before),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
