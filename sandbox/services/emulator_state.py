"""Write the emulator's state to its state dir now, from inside its process, while it runs.

    POST /_sandbox/state/persist   -> 200 {"saved": [service, ...], "state_dir": ...}
                                   -> 507 {"error": ...} when a file cannot be written

Why: ministack writes its state (PERSIST_STATE) only when it stops gracefully, so a snapshot
of a running emulator would otherwise need a stop and a start (about a second, and every
warm Lambda worker lost). This asks ministack's own `get_state` of every loaded service, as
its shutdown does, and writes the files the same way (`{"__ministack_format__": N,
"payload": ...}`, a temporary file then a rename), but raises instead of logging a failed
write, so a full disk is reported rather than leaving an old file behind. It runs on the
event loop without awaiting, so no request is served halfway through it. S3 object bodies
are written by ministack as they arrive (S3_PERSIST); only their bucket metadata is here.

Private names of ministack 1.5.33 are used (`_build_persistence_save_dict`,
`_state_format_version`, `_json_default`): the version is pinned exactly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

PERSIST_PATH = "/_sandbox/state/persist"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class StateMiddleware:
    """Serves PERSIST_PATH; passes everything else to the wrapped app."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PERSIST_PATH:
            status, body = _answer(scope["method"])
            await reply(send, status, body)
            return
        await self.app(scope, receive, send)


def _answer(method: str) -> tuple[int, dict[str, Any]]:
    if method != "POST":
        return 405, {"error": f"use POST {PERSIST_PATH}"}
    try:
        saved, state_dir = persist_now()
    except OSError as err:
        return 507, {"error": f"cannot write the emulator's state: {err}"}
    return 200, {"saved": saved, "state_dir": state_dir}


def persist_now() -> tuple[list[str], str]:
    """Every loaded service's state, written to STATE_DIR; raises OSError on a failed write."""
    import ministack.app as emulator
    from ministack.core import persistence

    os.makedirs(persistence.STATE_DIR, exist_ok=True)
    saved = []
    for name, get_state in emulator._build_persistence_save_dict().items():
        state = _state_of(get_state)
        if state is None:  # nothing loaded: leave its file alone, as ministack does
            continue
        wrapped = {
            "__ministack_format__": persistence._state_format_version(name),
            "payload": state,
        }
        _write_json(
            os.path.join(persistence.STATE_DIR, f"{name}.json"), wrapped, persistence._json_default
        )
        saved.append(name)
    return saved, persistence.STATE_DIR


def _state_of(get_state: Callable[[], Any]) -> Any:
    """A poller thread may change a dict while it is copied: try again a few times."""
    for _ in range(4):
        try:
            return get_state()
        except RuntimeError:
            continue
    return get_state()


def _write_json(path: str, data: Any, default: Callable[[Any], Any]) -> None:
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as handle:
            json.dump(data, handle, default=default)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


async def reply(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
