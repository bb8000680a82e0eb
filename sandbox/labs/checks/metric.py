"""metric: a Prometheus sample from a service's /metrics, compared with a value, or
"increased after" a number of requests the check makes itself."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Literal

from prometheus_client.parser import text_string_to_metric_families
from pydantic import Field

from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params, target_service
from sandbox.labs.checks.web import fetch

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "==": operator.eq, "<": operator.lt, "<=": operator.le,
}  # fmt: skip


class Action(Params):
    method: Literal["GET", "POST"] = "GET"
    path: str = "/health"
    count: int = Field(5, ge=1, le=100)
    by: float | None = None  # default: at least `count`


class MetricParams(Params):
    service: str = "app"
    path: str = "/metrics"
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    op: Literal[">", ">=", "==", "<", "<="] = ">="
    value: float = 1.0
    increased_after: Action | None = None


def evaluate(params: MetricParams, ctx: CheckContext) -> Outcome:
    base = ctx.endpoints[params.service]
    try:
        before = read(base + params.path, params.name, params.labels)
        if params.increased_after is None:
            return _compare(params, before)
        action = params.increased_after
        for _ in range(action.count):
            fetch(base + action.path, action.method)
        after = read(base + params.path, params.name, params.labels)
    except ValueError as err:
        return Outcome.failed(f"GET {params.path}: {err}")
    return _increase(params, action, before, after)


def _describe(params: MetricParams) -> str:
    labels = ",".join(f'{k}="{v}"' for k, v in params.labels.items())
    return f"{params.name}{{{labels}}}"


def _compare(params: MetricParams, observed: float | None) -> Outcome:
    metric = _describe(params)
    if observed is None:
        return Outcome.failed(f"no sample {metric} in {params.path}")
    if OPERATORS[params.op](observed, params.value):
        return Outcome.passed(f"{metric} = {observed:g}")
    return Outcome.failed(f"expected {metric} {params.op} {params.value:g}, observed {observed:g}")


def _increase(
    params: MetricParams, action: Action, before: float | None, after: float | None
) -> Outcome:
    metric, wanted = _describe(params), action.by if action.by is not None else action.count
    if after is None:
        return Outcome.failed(f"no sample {metric} in {params.path} after {action.count} requests")
    grew = after - (before or 0.0)
    if grew >= wanted:
        return Outcome.passed(f"{metric} rose by {grew:g} after {action.count} requests")
    return Outcome.failed(
        f"expected {metric} to rise by at least {wanted:g} after {action.count} x"
        f" {action.method} {action.path}; it rose by {grew:g}"
    )


def read(url: str, name: str, labels: dict[str, str]) -> float | None:
    """The sum of the samples called `name` whose labels include `labels`, or None."""
    answer = fetch(url)
    if answer.status != 200:
        raise ValueError(f"it answered {answer.status}, not 200 with Prometheus text")
    text = answer.body.decode(errors="replace")
    total, seen = 0.0, False
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total, seen = total + sample.value, True
    return total if seen else None


EXAMPLE = {
    "name": "http_requests_total",
    "increased_after": {"method": "GET", "path": "/health", "count": 5},
}
KIND = CheckKind(
    "metric",
    MetricParams,
    evaluate,
    needs=target_service,
    example=EXAMPLE,
    summary="A Prometheus sample from a service's /metrics, compared with a value, or "
    "increased after some requests.",
)
