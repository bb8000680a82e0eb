"""What every benchmark reports about the machine it ran on (these are shared, noisy hosts)."""

from __future__ import annotations

import os
import time


def context(began: float, load_before: float) -> dict[str, object]:
    """Wall time since `began` (perf_counter), cores, and the 1-min load before and after."""
    return {
        "total_s": round(time.perf_counter() - began, 1),
        "cpu_count": os.cpu_count(),
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
