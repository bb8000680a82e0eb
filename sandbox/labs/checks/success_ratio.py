"""success_ratio: send the same request N times (optionally several at once) and require that
at least a given share succeed, e.g. "at least 95% of 40 orders are accepted while users
drops half its connections".

A request succeeds when it answers the expected status (any 2xx by default) within
`within_ms` if given. A request that gets no answer counts as a failure, named by why; when
the service stops accepting connections altogether the guard makes the check UNKNOWN.

Strings in `path`, `body` and `headers` may hold `{n}` (the request's number, from 1) and
`{run}` (one random word per evaluation), e.g. an `Idempotency-Key: k-{run}-{n}` that is new
for every request.
"""

from __future__ import annotations

import http.client
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import Field

from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params, target_service
from sandbox.labs.checks.guard import reason
from sandbox.labs.checks.web import fetch, timed_out


class RatioParams(Params):
    service: str = "app"
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    path: str
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    count: int = Field(ge=1, le=1000)
    min_ratio: float = Field(1.0, ge=0, le=1)
    expect_status: int | list[int] | None = None  # None: any 2xx
    concurrency: int = Field(1, ge=1, le=32)
    timeout: float = Field(5.0, gt=0, le=60)  # per request
    within_ms: int | None = Field(None, gt=0, le=60_000)  # a success must also be this fast


def evaluate(params: RatioParams, ctx: CheckContext) -> Outcome:
    base, run = ctx.endpoints[params.service], uuid.uuid4().hex[:8]

    def one(n: int) -> str | None:
        return _attempt(params, base, n, run)

    with ThreadPoolExecutor(params.concurrency) as pool:
        failures = [why for why in pool.map(one, range(1, params.count + 1)) if why is not None]
    return _judge(params, failures)


def _attempt(params: RatioParams, base: str, n: int, run: str) -> str | None:
    """None when request `n` succeeded, else a few words on why not."""
    fill = _filler(n, run)
    timeout = params.timeout
    if params.within_ms is not None:
        timeout = min(timeout, params.within_ms / 1000)
    started = time.perf_counter()
    try:
        answer = fetch(base + fill(params.path), params.method, fill(params.body),
                       fill(params.headers), timeout)  # fmt: skip
    except (OSError, http.client.HTTPException) as err:  # e.g. reset, or closed mid-answer
        return "no answer in time" if timed_out(err) else reason(err)
    took_ms = (time.perf_counter() - started) * 1000
    if not _expected(params.expect_status, answer.status):
        return f"status {answer.status}"
    if params.within_ms is not None and took_ms > params.within_ms:
        return f"slower than {params.within_ms} ms"
    return None


def _expected(wanted: int | list[int] | None, status: int) -> bool:
    if wanted is None:
        return 200 <= status < 300
    return status in (wanted if isinstance(wanted, list) else [wanted])


def _filler(n: int, run: str) -> Any:
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{n}", str(n)).replace("{run}", run)
        if isinstance(value, dict):
            return {key: fill(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [fill(inner) for inner in value]
        return value

    return fill


def _judge(params: RatioParams, failures: list[str]) -> Outcome:
    succeeded = params.count - len(failures)
    ratio = succeeded / params.count
    what = (f"{succeeded}/{params.count} {params.method} {params.path} succeeded "
            f"({ratio:.0%}, at least {params.min_ratio:.0%} needed)")  # fmt: skip
    if failures:
        tally = Counter(failures).most_common()
        what += "; failures: " + ", ".join(f"{count} x {why}" for why, count in tally)
    return Outcome.passed(what) if ratio >= params.min_ratio else Outcome.failed(what)


EXAMPLE = {"service": "orders", "method": "POST", "path": "/orders",
           "body": {"user_id": 7, "item": "cable {n}"}, "count": 40, "concurrency": 4,
           "min_ratio": 0.95, "expect_status": 201}  # fmt: skip
KIND = CheckKind(
    "success_ratio",
    RatioParams,
    evaluate,
    needs=target_service,
    example=EXAMPLE,
    summary="Send the same request N times (some at once); at least a share must succeed.",
)
