"""proxy_counters: run a check and bound how much a faults proxy's counters grew meanwhile,
e.g. "40 orders made at most 120 connections to users" (a bound on retries), or "once the
breaker is open, 5 more orders made no connection to users at all".

The counters are the faults server's per-proxy `stats` (sandbox/faults/proxy.py):
connections_total, connections_active, bytes_upstream, bytes_downstream, upstream_errors,
requests_aborted, requests_delayed. `before` checks run first and are not counted (and
their outcomes do not matter): to bring the system into the state to observe, e.g. trip a
circuit breaker. The check itself must pass too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import Field, field_validator

from sandbox.faults.client import FaultsApiError, FaultsClient
from sandbox.faults.proxy import STATS
from sandbox.labs.checks.base import Capability, CheckContext, CheckKind, Outcome, Params, Status
from sandbox.labs.checks.nesting import run_nested


class Bound(Params):
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)

    def problem(self, stat: str, grew: int) -> str | None:
        if self.max is not None and grew > self.max:
            return f"{stat} grew by {grew} (at most {self.max} allowed)"
        if self.min is not None and grew < self.min:
            return f"{stat} grew by {grew} (at least {self.min} expected)"
        return None


class CountersParams(Params):
    proxy: str
    before: list[dict[str, Any]] = Field(default_factory=list)  # not counted, not judged
    check: dict[str, Any]  # a nested check: {kind: ..., <its params>}, counted and judged
    expect: dict[str, Bound] = Field(min_length=1)  # counter -> bound on its growth

    @field_validator("expect")
    @classmethod
    def _known_counters(cls, expect: dict[str, Bound]) -> dict[str, Bound]:
        unknown = sorted(set(expect) - set(STATS))
        if unknown:
            raise ValueError(f"unknown counter(s) {', '.join(unknown)}; use: {', '.join(STATS)}")
        return expect


def stats(faults: FaultsClient, proxy: str) -> dict[str, int]:
    answer = faults.request("GET", f"/proxies/{quote(proxy, safe='')}")
    return {name: int(value) for name, value in answer.get("stats", {}).items()}


def evaluate(params: CountersParams, ctx: CheckContext) -> Outcome:
    faults = FaultsClient(ctx.endpoints["faults"])
    for spec in params.before:
        run_nested(ctx, spec)
    try:
        first = stats(faults, params.proxy)
    except FaultsApiError as err:  # no such proxy: the lab's setup, not the learner's work
        return Outcome.unknown(f"cannot read the counters of proxy {params.proxy}: {err}")
    outcome = run_nested(ctx, params.check)
    last = stats(faults, params.proxy)
    grew = {stat: last.get(stat, 0) - first.get(stat, 0) for stat in params.expect}
    found = (bound.problem(stat, grew[stat]) for stat, bound in params.expect.items())
    problems = [problem for problem in found if problem is not None]
    counted = ", ".join(f"{stat} +{value}" for stat, value in grew.items())
    if outcome.status is not Status.PASSED:
        return Outcome(outcome.status, f"{outcome.message} (proxy {params.proxy}: {counted})",
                       outcome.unreachable)  # fmt: skip
    if problems:
        return Outcome.failed(f"proxy {params.proxy}: " + "; ".join(problems)
                              + f", while: {outcome.message}")  # fmt: skip
    return Outcome.passed(f"proxy {params.proxy}: {counted}, while: {outcome.message}")


EXAMPLE = {
    "proxy": "users",
    "check": {"kind": "success_ratio", "service": "orders", "method": "POST", "path": "/orders",
              "body": {"user_id": 7, "item": "cable"}, "count": 40},
    "expect": {"connections_total": {"max": 120}},
}  # fmt: skip
KIND = CheckKind(
    "proxy_counters",
    CountersParams,
    evaluate,
    needs=("faults",),
    requires=(Capability.FAULTS,),
    example=EXAMPLE,
    summary="Run a nested check; bound how much a faults proxy's counters grew meanwhile.",
    disruptive=True,  # counts every connection through the proxy: others' would be counted
)
