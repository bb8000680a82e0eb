"""The app's Prometheus text turned into the numbers the Metrics screen shows.

`parse` reads one scrape into cumulative counters (a `Sample`); a `Tracker` keeps the last
samples and derives rates over the last interval and short histories for the sparklines.
The scrape route itself (/metrics) is left out of every number: the TUI's own polling
would otherwise be most of the traffic.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

from prometheus_client.parser import text_string_to_metric_families

SCRAPE_ROUTE = "/metrics"
HISTORY = ("rate", "latency", "errors", "hit_ratio")
Route = tuple[str, str, str]  # method, route, status


@dataclass(frozen=True)
class Sample:
    """Cumulative counters at one moment (summed over the labels that matter here)."""

    at: float
    routes: dict[Route, float] = field(default_factory=dict)
    duration_sum: float = 0.0
    duration_count: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)  # upper bound -> cumulative
    cache: dict[str, float] = field(default_factory=dict)  # get result (hit/miss) -> count

    @property
    def requests(self) -> float:
        return sum(self.routes.values())

    @property
    def errors(self) -> float:
        return sum(v for (_, _, status), v in self.routes.items() if status.startswith("5"))


@dataclass(frozen=True)
class MetricsView:
    """What the screen renders: the latest rates, their histories, and the routes."""

    ok: bool
    message: str = ""
    rate: float = 0.0  # requests per second
    latency_ms: float | None = None  # mean over the last interval
    p95_ms: float | None = None
    error_rate: float = 0.0  # 5xx per second
    hit_ratio: float | None = None  # cache get hits / gets, since the app started
    history: dict[str, tuple[float, ...]] = field(default_factory=dict)
    routes: tuple[tuple[Route, float], ...] = ()


def parse(text: str, at: float) -> Sample:
    routes: dict[Route, float] = {}
    buckets: dict[float, float] = {}
    cache: dict[str, float] = {}
    totals = {"sum": 0.0, "count": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels, value = sample.labels, float(sample.value)
            if labels.get("route") == SCRAPE_ROUTE:
                continue
            _take(sample.name, labels, value, routes, buckets, cache, totals)
    return Sample(at, routes, totals["sum"], totals["count"], buckets, cache)


def _take(
    name: str,
    labels: dict[str, str],
    value: float,
    routes: dict[Route, float],
    buckets: dict[float, float],
    cache: dict[str, float],
    totals: dict[str, float],
) -> None:
    if name == "http_requests_total":
        key = (labels.get("method", ""), labels.get("route", ""), labels.get("status", ""))
        routes[key] = routes.get(key, 0.0) + value
    elif name == "http_request_duration_seconds_bucket":
        bound = float(labels.get("le", "+Inf"))
        buckets[bound] = buckets.get(bound, 0.0) + value
    elif name == "http_request_duration_seconds_sum":
        totals["sum"] += value
    elif name == "http_request_duration_seconds_count":
        totals["count"] += value
    elif name == "cache_operations_total" and labels.get("operation") == "get":
        result = labels.get("result", "")
        cache[result] = cache.get(result, 0.0) + value


class Tracker:
    """The last `keep` samples; each `add` returns the view over the newest interval."""

    def __init__(self, keep: int = 60) -> None:
        self.samples: deque[Sample] = deque(maxlen=keep + 1)
        self.history: dict[str, deque[float]] = {k: deque(maxlen=keep) for k in HISTORY}

    def add(self, sample: Sample) -> MetricsView:
        previous = self.samples[-1] if self.samples else None
        self.samples.append(sample)
        view = interval_view(previous, sample)
        for key in HISTORY:
            self.history[key].append(_number(getattr(view, _FIELDS[key])))
        return _with_history(view, self.history)

    def unavailable(self, message: str) -> MetricsView:
        self.samples.clear()
        return MetricsView(ok=False, message=message, history=_frozen(self.history))


_FIELDS = {"rate": "rate", "latency": "latency_ms", "errors": "error_rate",
           "hit_ratio": "hit_ratio"}  # fmt: skip


def interval_view(previous: Sample | None, current: Sample) -> MetricsView:
    """Rates between two samples (from zero when there is none, or the app restarted)."""
    if previous is None or current.requests < previous.requests:
        previous = Sample(current.at)
    seconds = max(current.at - previous.at, 1e-9) if previous.routes else 0.0
    requests = current.requests - previous.requests
    count = current.duration_count - previous.duration_count
    return MetricsView(
        ok=True,
        rate=requests / seconds if seconds else 0.0,
        latency_ms=(current.duration_sum - previous.duration_sum) / count * 1000 if count else None,
        p95_ms=percentile(_delta(current.buckets, previous.buckets), 0.95),
        error_rate=(current.errors - previous.errors) / seconds if seconds else 0.0,
        hit_ratio=hit_ratio(current.cache),
        routes=tuple(sorted(current.routes.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def _delta(current: dict[float, float], previous: dict[float, float]) -> dict[float, float]:
    return {bound: value - previous.get(bound, 0.0) for bound, value in current.items()}


def percentile(buckets: dict[float, float], q: float) -> float | None:
    """The upper bound (in ms) of the first bucket holding the q-th request, or None."""
    total = buckets.get(math.inf, 0.0)
    if total <= 0:
        return None
    for bound in sorted(buckets):
        if buckets[bound] >= q * total:
            return bound * 1000 if math.isfinite(bound) else None
    return None


def hit_ratio(cache: dict[str, float]) -> float | None:
    gets = cache.get("hit", 0.0) + cache.get("miss", 0.0)
    return cache.get("hit", 0.0) / gets if gets else None


def _number(value: float | None) -> float:
    return 0.0 if value is None else float(value)


def _frozen(history: dict[str, deque[float]]) -> dict[str, tuple[float, ...]]:
    return {key: tuple(values) for key, values in history.items()}


def _with_history(view: MetricsView, history: dict[str, deque[float]]) -> MetricsView:
    return replace(view, history=_frozen(history))
