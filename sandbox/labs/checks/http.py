"""http: send a request to a service and compare status, JSON fields, headers and body."""

from __future__ import annotations

import re
from typing import Any, Literal

import jmespath
from pydantic import Field

from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params, target_service
from sandbox.labs.checks.web import Answer, fetch


class Expect(Params):
    status: int | None = 200
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


def evaluate(params: HttpParams, ctx: CheckContext) -> Outcome:
    """No answer at all is the guard's (UNKNOWN: the service is unreachable)."""
    base = ctx.endpoints[params.service]
    request = f"{params.method} {params.path}"
    for earlier in params.before:
        fetch(base + earlier.path, earlier.method, earlier.body, timeout=params.timeout)
    answer = fetch(base + params.path, params.method, params.body, params.headers, params.timeout)
    problems = mismatches(params.expect, answer)
    if problems:
        return Outcome.failed(f"{request}: " + "; ".join(problems))
    return Outcome.passed(f"{request} -> {answer.status}")


def mismatches(expect: Expect, answer: Answer) -> list[str]:
    problems = []
    if expect.status is not None and answer.status != expect.status:
        problems.append(f"expected status {expect.status}, got {answer.status}"
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
