"""What every benchmark reports about the machine it ran on (these are shared, noisy hosts).

Load says how busy the machine was; it does not say how fast it is. Two idle 2-core hosts of
the same kind can differ by half in single-thread speed, so each report also carries
`cpu_ref_ms`: the time of a fixed pure-Python workload (the kind of work the sandbox's own
processes do), best of a few tries, once when the benchmark starts (this module's import)
and once at its end. On these hosts it can change by half from one minute to the next with
no load of our own, so a run whose two figures differ was disturbed: rerun it.

`cpu_steal_pct` is the share of CPU time the hypervisor gave to other guests while the
benchmark ran (/proc/stat's steal column; null where the kernel does not report it). A slow
phase that leaves `cpu_ref_ms` unchanged (cache or memory contention) shows nowhere here;
one that takes whole cores away shows there.
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


def _cpu_jiffies() -> tuple[int, int] | None:
    """(steal, total) CPU time of all cores since boot, in clock ticks."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(fields) < 8:
        return None
    return fields[7], sum(fields[:8])  # user nice system idle iowait irq softirq steal


def _steal_pct_since(before: tuple[int, int] | None) -> float | None:
    after = _cpu_jiffies()
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round(100 * (after[0] - before[0]) / (after[1] - before[1]), 1)


JIFFIES_AT_START = _cpu_jiffies()
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
        "cpu_steal_pct": _steal_pct_since(JIFFIES_AT_START),
    }
