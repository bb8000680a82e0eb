"""What the emulator's Lambda ran lately, asked from outside by a text the event contained.

    GET /_sandbox/invocations?mark=TEXT
        -> 200 {"invocations": [{"function": name, "started": t, "ended": t | null,
                                 "ok": true | false | null}]}

Why: a fired event whose item never comes used to cost its whole timeout (5 s per check on
an unfinished lab). When every invocation that carried the event has returned normally, no
source retries it, and nothing was stored, waiting longer cannot change the answer:
`sandbox fire` and the `event` check can say so at once (sandbox/aws/events.py).

Every invocation passes through ministack's `_execute_function` (API Gateway, S3, SQS, SNS,
EventBridge and stream pollers, Invoke), looked up as a module global when called, so
rebinding that one name records them all. `ok` is null while it runs, and false for an
error, a throttle or a partial batch failure (the records SQS delivers again). Only the
last KEPT invocations are kept, and of each event only its first TEXT_KEPT characters are
searched. ministack 1.5.33's private name is used: the version is pinned exactly
(tests/unit/test_emulator_tuning.py guards it).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.services.emulator_state import App, Receive, Scope, Send, reply

INVOCATIONS_PATH = "/_sandbox/invocations"
KEPT = 200  # with TEXT_KEPT: at most about 13 MB however big the events are
TEXT_KEPT = 64 * 1024

Execute = Callable[[dict[str, Any], dict[str, Any]], Any]


@dataclass
class Invocation:
    function: str
    text: str  # the event as JSON, searched for a mark
    started: float
    ended: float | None = None
    ok: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"function": self.function, "started": self.started, "ended": self.ended,
                "ok": self.ok}  # fmt: skip


class Ledger:
    def __init__(self) -> None:
        self._recent: deque[Invocation] = deque(maxlen=KEPT)
        self._lock = threading.Lock()  # invocations run on poller and worker threads

    def wrap(self, execute: Execute) -> Execute:
        def recorded(func: dict[str, Any], event: dict[str, Any]) -> Any:
            invocation = Invocation(_function_name(func), _text(event), time.time())
            with self._lock:
                self._recent.append(invocation)
            result: Any = None
            try:
                result = execute(func, event)
                return result
            finally:
                invocation.ok = _succeeded(result)
                invocation.ended = time.time()

        return recorded

    def carrying(self, mark: str) -> list[Invocation]:
        """The recent invocations, of any function, whose event contained `mark` (a function
        may hand the event on to another one)."""
        with self._lock:
            recent = list(self._recent)
        return [i for i in recent if mark in i.text]


def _function_name(func: dict[str, Any]) -> str:
    config = func.get("config") or func
    return str(config.get("FunctionName", ""))


def _text(event: Any) -> str:
    try:
        return json.dumps(event, default=str)[:TEXT_KEPT]
    except (TypeError, ValueError):
        return ""


def _succeeded(result: Any) -> bool:
    """False for an exception (result None), an error, a throttle, or a partial batch
    response naming any failed record: SQS delivers those records again."""
    if not isinstance(result, dict) or result.get("error") or result.get("throttle"):
        return False
    return not _failed_records(result.get("body"))


def _failed_records(body: Any) -> list[Any]:
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return []
    failures = body.get("batchItemFailures") if isinstance(body, dict) else None
    return list(failures) if isinstance(failures, list) else []


class LedgerMiddleware:
    """Serves INVOCATIONS_PATH; passes everything else to the wrapped app."""

    def __init__(self, app: App, ledger: Ledger) -> None:
        self.app = app
        self.ledger = ledger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == INVOCATIONS_PATH:
            status, body = self._answer(scope)
            await reply(send, status, body)
            return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope) -> tuple[int, dict[str, Any]]:
        if scope["method"] != "GET":
            return 405, {"error": f"use GET {INVOCATIONS_PATH}?mark=TEXT"}
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        mark = query.get("mark", [""])[0]
        if not mark:
            return 400, {"error": "give `mark`: a text the event contained"}
        found = self.ledger.carrying(mark)
        return 200, {"invocations": [invocation.to_dict() for invocation in found]}
