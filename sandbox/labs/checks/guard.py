"""The one guard every check runs behind (the runner's `evaluate_once` calls `run`).

A check whose service cannot be reached is UNKNOWN, never FAILED: a blip of the stack must
not cost the learner points. So is a check whose kind `requires` what the backend cannot do
(the external backend cannot stop services or read their logs: its `limits` say so). The
services are the kind's `needs` (`CheckKind.services`):

- before: each must have an endpoint in the context (it was healthy when grading began),
  else "the AWS emulator is not running; start the stack with `sandbox up`";
- during: a connection-level error, from any client library and also behind a SandboxError
  or a URLError, becomes "could not reach the AWS emulator at http://127.0.0.1:4566
  (connection refused); is the stack up? `sandbox status`";
- after: a check that did not pass while a service it needs no longer accepts connections is
  UNKNOWN as well (its kind may have put the blip into words of its own).

What a service answers (a missing table, a 500 from the app) is the kind's to judge: a kind
catches only those answers, and lets connection errors through to here.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Status, limit
from sandbox.stack import NAMES

# Connection-level errors, as (module, class) anywhere in an error's class hierarchy. Matched
# by name, so the grader imports no client library that its checks do not use.
CONNECTION_LEVEL = frozenset(
    {
        ("builtins", "ConnectionError"),  # refused, reset, aborted, broken pipe
        ("builtins", "TimeoutError"),  # socket.timeout too
        ("botocore.exceptions", "ConnectionError"),  # EndpointConnectionError, ConnectTimeout
        ("botocore.exceptions", "HTTPClientError"),  # ConnectionClosedError, ReadTimeoutError
        ("urllib3.exceptions", "ProtocolError"),
        ("urllib3.exceptions", "TimeoutError"),  # NewConnectionError, ReadTimeoutError
        ("requests.exceptions", "ConnectionError"),
        ("requests.exceptions", "Timeout"),
        ("redis.exceptions", "ConnectionError"),
        ("redis.exceptions", "TimeoutError"),
        ("psycopg2", "OperationalError"),  # only when the server said nothing (no pgcode)
    }
)
FAMILIES = {"botocore": "aws", "boto3": "aws", "psycopg2": "postgres", "redis": "redis"}
WORDS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (ConnectionAbortedError, "connection aborted"),
    (BrokenPipeError, "connection closed"),
    (TimeoutError, "timed out"),
)
PHRASES = (
    ("refused", "connection refused"),
    ("reset", "connection reset"),
    ("timed out", "timed out"),
    ("timeout", "timed out"),
    ("closed", "connection closed"),
)
PROBE_TIMEOUT = 1.0


def run(kind: CheckKind, params: Any, ctx: CheckContext) -> Outcome:
    """Evaluate one check behind the guard; errors other than connection errors go on up."""
    lacking = lacks(kind, ctx)
    if lacking is not None:
        return Outcome.unknown(lacking)
    needs = kind.services(params)
    down = next((service for service in needs if ctx.endpoint(service) is None), None)
    if down is not None:
        return not_running(down)
    try:
        outcome = kind.evaluate(params, ctx)
    except Exception as err:
        translated = _unreachable_by(err, needs, ctx)
        if translated is None:
            raise
        return translated
    return _confirmed(outcome, needs, ctx)


def lacks(kind: CheckKind, ctx: CheckContext) -> str | None:
    """Why the backend cannot do what the kind requires, or None when it can."""
    return next(filter(None, (limit(ctx.control, need) for need in kind.requires)), None)


def not_running(service: str) -> Outcome:
    message = f"{called(service)} is not running; start the stack with `sandbox up`"
    return Outcome(Status.UNKNOWN, message, unreachable=service)


def unreachable(service: str, url: str | None, why: str) -> Outcome:
    where = f" at {_address(url)}" if url else ""
    message = f"could not reach {called(service)}{where} ({why}); is the stack up? `sandbox status`"
    return Outcome(Status.UNKNOWN, message, unreachable=service)


def called(service: str) -> str:
    """How messages name a service: "the AWS emulator", "the app", "PostgreSQL", "Redis"."""
    name = NAMES.get(service, service)
    return name if service in ("postgres", "redis") else f"the {name}"


def connection_error(err: BaseException) -> BaseException | None:
    """The connection-level error behind `err`: itself, or one it wraps; else None."""
    return next((inner for inner in _chain(err) if _connection_level(inner)), None)


def _unreachable_by(err: Exception, needs: tuple[str, ...], ctx: CheckContext) -> Outcome | None:
    found = connection_error(err)
    if found is None:
        return None
    service = FAMILIES.get(type(found).__module__.partition(".")[0])
    if service is None and len(needs) == 1:
        service = needs[0]
    return None if service is None else unreachable(service, ctx.endpoint(service), reason(found))


def _confirmed(outcome: Outcome, needs: tuple[str, ...], ctx: CheckContext) -> Outcome:
    """A check that did not pass is UNKNOWN when a service it needs stopped answering."""
    if outcome.status is Status.PASSED or outcome.unreachable is not None:
        return outcome
    for service in needs:
        silence = _silence(ctx.endpoints[service])
        if silence is not None:
            return unreachable(service, ctx.endpoints[service], silence)
    return outcome


def _silence(url: str) -> str | None:
    """Why the service at `url` accepts no connection now, or None when it does."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None  # nothing to knock on (real AWS: the endpoint is boto3's to choose)
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), PROBE_TIMEOUT):
            return None
    except OSError as err:
        return reason(err)


def _chain(err: BaseException) -> Iterator[BaseException]:
    """`err`, then what it wraps: its cause or context, a URLError's `reason`."""
    todo, seen = [err], set()
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        context = None if current.__suppress_context__ else current.__context__
        inner = (getattr(current, "reason", None), current.__cause__, context)
        todo += [e for e in inner if isinstance(e, BaseException)]


def _connection_level(err: BaseException) -> bool:
    names = {(cls.__module__, cls.__name__) for cls in type(err).__mro__}
    if not names & CONNECTION_LEVEL:
        return False
    return getattr(err, "pgcode", None) is None  # psycopg2: a server's error has its code


def reason(err: BaseException) -> str:
    """A few words on why a connection failed: "connection refused", "timed out"."""
    for inner in _chain(err):
        words = next((w for cls, w in WORDS if isinstance(inner, cls)), None)
        if words is not None:
            return words
    text = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return next((w for phrase, w in PHRASES if phrase in text.lower()), text[:120])


def _address(url: str) -> str:
    """Scheme, host and port only (a database URL carries a password)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port}" if parts.port else url
