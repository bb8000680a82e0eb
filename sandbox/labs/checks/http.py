"""http: send a request to a service and compare status, JSON fields, headers and body;
`within_ms` also bounds how long the answer may take (no answer in time is FAILED, not
UNKNOWN: a service that hangs is the learner's to fix)."""

from __future__ import annotations

import re
import time
from typing import Any, Literal

import jmespath
from pydantic import Field

from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params, target_service
from sandbox.labs.checks.web import Answer, fetch, timed_out


class Expect(Params):
    status: int | list[int] | None = 200  # one status, any of several, or any (None)
    json_: dict[str, Any] = Field(default_factory=dict, alias="json")  # JMESPath -> value
    headers: dict[str, str] = Field(default_factory=dict)  # header -> regex
    body_contains: str | None = None


class Request(Params):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str
    body: Any = None


class HttpParams(Params):
    service: str = "app"
    before: list[Request] = Field(default_factory=list)  # sent first, answers ignored
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    path: str
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    expect: Expect = Field(default_factory=Expect)
    timeout: float = 5.0
    within_ms: int | None = Field(None, gt=0, le=60_000)  # the answer must come this fast


def evaluate(params: HttpParams, ctx: CheckContext) -> Outcome:
    """No answer at all is the guard's (UNKNOWN: the service is unreachable), except a
    timeout under `within_ms`: that is the bound not met."""
    base = ctx.endpoints[params.service]
    request = f"{params.method} {params.path}"
    for earlier in params.before:
        fetch(base + earlier.path, earlier.method, earlier.body, timeout=params.timeout)
    answer, took_ms = _send(params, base)
    if answer is None:
        return Outcome.failed(f"{request}: no answer within {params.within_ms} ms")
    problems = mismatches(params.expect, answer)
    if params.within_ms is not None and took_ms > params.within_ms:
        problems.append(f"answered in {took_ms:.0f} ms, over the {params.within_ms} ms bound")
    if problems:
        return Outcome.failed(f"{request}: " + "; ".join(problems))
    took = "" if params.within_ms is None else f" in {took_ms:.0f} ms"
    return Outcome.passed(f"{request} -> {answer.status}{took}")


def _send(params: HttpParams, base: str) -> tuple[Answer | None, float]:
    """The answer and the milliseconds it took; None when `within_ms` ran out first."""
    timeout = params.timeout
    if params.within_ms is not None:
        timeout = min(timeout, params.within_ms / 1000)
    started = time.perf_counter()
    try:
        answer = fetch(base + params.path, params.method, params.body, params.headers, timeout)
    except OSError as err:
        if params.within_ms is None or not timed_out(err):
            raise
        return None, timeout * 1000
    return answer, (time.perf_counter() - started) * 1000


def mismatches(expect: Expect, answer: Answer) -> list[str]:
    problems = []
    wanted = [expect.status] if isinstance(expect.status, int) else expect.status
    if wanted is not None and answer.status not in wanted:
        shown = " or ".join(map(str, wanted))
        problems.append(f"expected status {shown}, got {answer.status}"
                        f" ({answer.body[:160].decode(errors='replace')!r})")  # fmt: skip
    problems += _json_problems(expect.json_, answer)
    for header, pattern in expect.headers.items():
        value = answer.headers.get(header) or _header(answer, header)
        if value is None or not re.search(pattern, value):
            problems.append(f"expected header {header} matching {pattern!r}, got {value!r}")
    if expect.body_contains and expect.body_contains.encode() not in answer.body:
        problems.append(f"expected the body to contain {expect.body_contains!r}")
    return problems


def _header(answer: Answer, name: str) -> str | None:
    lowered = {k.lower(): v for k, v in answer.headers.items()}
    return lowered.get(name.lower())


def _json_problems(wanted: dict[str, Any], answer: Answer) -> list[str]:
    if not wanted:
        return []
    try:
        document = answer.json()
    except ValueError:
        return [f"expected a JSON body, got {answer.body[:80].decode(errors='replace')!r}"]
    problems = []
    for path, value in wanted.items():
        found = jmespath.search(path, document)
        if found != value:
            problems.append(f"expected {path} = {value!r}, got {found!r}")
    return problems


EXAMPLE = {"path": "/ready", "expect": {"status": 200, "json": {"status": "ready"}}}
KIND = CheckKind(
    "http",
    HttpParams,
    evaluate,
    needs=target_service,
    example=EXAMPLE,
    summary="Send a request to a service; compare the status, JSON fields, headers and body.",
)
