"""Prometheus metrics, correct under several gunicorn worker processes.

When PROMETHEUS_MULTIPROC_DIR is set (gunicorn.conf.py sets it), every worker writes its
samples to files there and /metrics aggregates them; otherwise the process registry is used.
"""

from __future__ import annotations

import glob
import os
from typing import Any

from flask import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("http_requests_total", "HTTP requests handled", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DB_OPERATIONS = Counter("db_operations_total", "Database statements run", ["operation", "table"])
CACHE_OPERATIONS = Counter(
    "cache_operations_total",
    "Cache operations by result (get: hit/miss/error; set: ok/error)",
    ["operation", "result"],
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route, str(status)).observe(seconds)


class StartedFilesCollector(multiprocess.MultiProcessCollector):
    """Leaves out a worker's metrics file created a moment ago and still shorter than its
    8-byte header: prometheus_client fails on it (struct.error, client_python#1199) and
    /metrics would answer 500. Such a file holds no samples yet."""

    def collect(self) -> Any:
        files = [f for f in glob.glob(os.path.join(self._path, "*.db")) if _started(f)]
        return self.merge(files, accumulate=True)  # type: ignore[no-untyped-call]


def _started(path: str) -> bool:
    try:
        return os.path.getsize(path) >= 8
    except OSError:  # its worker exited and the file went between glob and stat
        return False


def render() -> Response:
    """The exposition text for /metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        StartedFilesCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
