"""One small HTTP client for the checks that probe a service over HTTP (loopback only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def timed_out(err: BaseException) -> bool:
    """Whether `err` (from `fetch`) means the service took longer than the timeout."""
    return isinstance(err, TimeoutError) or isinstance(getattr(err, "reason", None), TimeoutError)


def fetch(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> Answer:  # fmt: skip
    """The answer, whatever its status; OSError when nothing answers."""
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))  # noqa: S310
    if data is not None and "Content-Type" not in request.headers:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as err:
        return Answer(err.code, dict(err.headers), err.read())
