"""Offline grading speed: the full manifests/ set and app/Dockerfile, in a warm process.

    .venv/bin/python bench/static_checks.py [--runs N]

Prints JSON: p50 and max seconds per full grading (manifests + Dockerfile, hadolint
included) and whether the 0.5 s goal is met. The first run (schemas loading) is reported
apart as `cold_seconds`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sandbox.static import check_dockerfile, check_manifests  # noqa: E402

GOAL_SECONDS = 0.5


def grade_once() -> tuple[float, int]:
    started = time.perf_counter()
    findings = check_manifests(REPO / "manifests") + check_dockerfile(REPO / "app" / "Dockerfile")
    return time.perf_counter() - started, len(findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    cold, findings = grade_once()
    times = [grade_once()[0] for _ in range(runs)]
    p50, worst = statistics.median(times), max(times)
    print(
        json.dumps(
            {
                "benchmark": "static_checks",
                "runs": runs,
                "cold_seconds": round(cold, 4),
                "p50_seconds": round(p50, 4),
                "max_seconds": round(worst, 4),
                "goal_seconds": GOAL_SECONDS,
                "goal_met": worst <= GOAL_SECONDS,
                "findings": findings,
            }
        )
    )


if __name__ == "__main__":
    main()
