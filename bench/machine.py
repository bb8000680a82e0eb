"""What every benchmark reports about the machine it ran on (these are shared, noisy hosts).

Load says how busy the machine was; it does not say how fast it is. Two idle 2-core hosts of
the same kind can differ by half in single-thread speed, so each report also carries
`cpu_ref_ms`: the time of a fixed pure-Python workload (the kind of work the sandbox's own
processes do), best of a few tries, once when the benchmark starts (this module's import)
and once at its end. On these hosts it can change by half from one minute to the next with
no load of our own, so a run whose two figures differ was disturbed: rerun it.
"""

from __future__ import annotations

import os
import time

REFERENCE_LOOPS = 1_000_000
REFERENCE_TRIES = 5


def _reference_workload() -> int:
    total, names = 0, {}
    for n in range(REFERENCE_LOOPS):
        total += n % 7
        names[n & 255] = total  # dict stores and integer arithmetic, as interpreters do
    return total + len(names)


def cpu_reference_ms() -> float:
    """Milliseconds for the fixed workload: the best try, the least disturbed by neighbours."""
    best = float("inf")
    for _ in range(REFERENCE_TRIES):
        started = time.perf_counter()
        _reference_workload()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


REFERENCE_AT_START = cpu_reference_ms()


def context(began: float, load_before: float) -> dict[str, object]:
    """Wall time since `began` (perf_counter), cores, the 1-min load before and after, and the
    machine's single-thread speed before and after (cpu_ref_ms: lower is faster)."""
    total_s = round(time.perf_counter() - began, 1)
    load_after = round(os.getloadavg()[0], 2)
    return {
        "total_s": total_s,
        "cpu_count": os.cpu_count(),
        "load_avg_1m": [round(load_before, 2), load_after],
        "cpu_ref_ms": [REFERENCE_AT_START, cpu_reference_ms()],
    }
