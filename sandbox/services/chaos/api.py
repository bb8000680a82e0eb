"""The two endpoints of LocalStack's chaos API, served on the emulator's own port.

    GET    /_localstack/chaos/faults    the rules, as sent
    POST   /_localstack/chaos/faults    replace them ([] clears)               -> the rules
    PATCH  /_localstack/chaos/faults    append the given rules                 -> the rules
    DELETE /_localstack/chaos/faults    remove the given rules (exact matches) -> the rules
    GET    /_localstack/chaos/effects   {"latency": ms}
    POST   /_localstack/chaos/effects   set it ({} or {"latency": 0} removes it) -> the effects

Bad input is a 400 {"error": kind, "message": what is wrong and how to write it}, and changes
nothing: a list with one bad rule is refused whole.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.services.chaos.asgi import (
    BodyTooLarge,
    Receive,
    Reply,
    Scope,
    Send,
    joined,
    read_body,
    send_reply,
)
from sandbox.services.chaos.responses import api_error, api_json
from sandbox.services.chaos.rules import EXAMPLE, RuleError, parse_rules
from sandbox.services.chaos.state import ChaosState

PREFIX = "/_localstack/chaos"
FAULTS = PREFIX + "/faults"
EFFECTS = PREFIX + "/effects"
BODY_LIMIT = 1024 * 1024
MAX_LATENCY_MS = 60_000  # beyond a minute every client has timed out long before
EFFECTS_EXAMPLE = '{"latency": 200}'

log = logging.getLogger("sandbox.chaos")
Handler = Callable[[ChaosState, bytes], Awaitable[Reply]]


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error = status, error


async def serve(state: ChaosState, scope: Scope, receive: Receive, send: Send) -> None:
    await send_reply(send, await answer(state, scope, receive), head=scope["method"] == "HEAD")


async def answer(state: ChaosState, scope: Scope, receive: Receive) -> Reply:
    path = scope["path"].rstrip("/")
    methods = ENDPOINTS.get(path)
    if methods is None:
        return api_error(
            404, "NotFound", f"no chaos endpoint {path}: there are {FAULTS} and {EFFECTS}"
        )
    handler = methods.get(scope["method"])
    if handler is None:
        allowed = ", ".join(methods)
        return api_error(405, "MethodNotAllowed", f"{path} takes {allowed}", allow=allowed)
    try:
        return await handler(state, joined(await read_body(receive, BODY_LIMIT)))
    except ApiError as err:
        return api_error(err.status, err.error, str(err))
    except BodyTooLarge as err:
        return api_error(413, "PayloadTooLarge", str(err))
    except Exception:  # a bug here must not take the emulator down, nor show a traceback
        log.exception("the chaos API failed on %s %s", scope["method"], path)
        return api_error(500, "InternalError", "the chaos API failed: see the emulator's log")


# -- faults --------------------------------------------------------------------------------


async def get_faults(state: ChaosState, body: bytes) -> Reply:
    return _rules(state)


async def post_faults(state: ChaosState, body: bytes) -> Reply:
    state.set_rules(await _parsed(body))
    return _rules(state)


async def patch_faults(state: ChaosState, body: bytes) -> Reply:
    state.set_rules([*state.rules, *await _parsed(body)])
    return _rules(state)


async def delete_faults(state: ChaosState, body: bytes) -> Reply:
    remaining = list(state.rules)
    for number, item in enumerate(_rule_objects(load_json(body, EXAMPLE)), 1):
        found = next((rule for rule in remaining if rule.raw == item), None)
        if found is None:
            raise ApiError(
                404,
                "RuleNotFound",
                f"rule {number} of the request, {json.dumps(item)}"
                ", is not in force (it must equal a listed rule exactly); nothing "
                "was removed",
            )
        remaining.remove(found)
    state.set_rules(remaining)
    return _rules(state)


def _rules(state: ChaosState) -> Reply:
    return api_json(200, [rule.raw for rule in state.rules])


async def _parsed(body: bytes) -> list[Any]:
    payload = load_json(body, EXAMPLE)
    try:
        # In a thread: the first rule for a service reads botocore's model (~0.1-0.5 s), and
        # the emulator's event loop keeps serving meanwhile.
        return await asyncio.to_thread(parse_rules, payload)
    except RuleError as err:
        raise ApiError(400, "InvalidRule", str(err)) from None


def _rule_objects(payload: object) -> list[dict[str, Any]]:
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        raise ApiError(400, "InvalidRule", f"expected a JSON array of rules, like {EXAMPLE}")
    return payload


# -- effects -------------------------------------------------------------------------------


async def get_effects(state: ChaosState, body: bytes) -> Reply:
    return api_json(200, {"latency": state.latency_ms})


async def post_effects(state: ChaosState, body: bytes) -> Reply:
    state.set_latency(_latency(load_json(body, EFFECTS_EXAMPLE)))
    return await get_effects(state, body)


def _latency(payload: object) -> int:
    if not isinstance(payload, dict) or set(payload) - {"latency"}:
        raise ApiError(
            400,
            "InvalidEffect",
            f"expected a JSON object like {EFFECTS_EXAMPLE} (latency is the only effect)",
        )
    latency = payload.get("latency", 0)
    if isinstance(latency, bool) or not isinstance(latency, int):
        raise ApiError(
            400, "InvalidEffect", f"'latency' must be whole milliseconds, not {latency!r}"
        )
    if not 0 <= latency <= MAX_LATENCY_MS:
        raise ApiError(
            400, "InvalidEffect", f"'latency' must be from 0 to {MAX_LATENCY_MS} ms, not {latency}"
        )
    return latency


# -- shared --------------------------------------------------------------------------------


def load_json(body: bytes, example: str) -> object:
    """The request's JSON, or a 400 that says what is wrong with it."""
    if not body.strip():
        raise ApiError(400, "InvalidJSON", f"the request has no body: send JSON like {example}")
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(
            400, "InvalidJSON", f"the body is not valid JSON ({err}): send JSON like {example}"
        ) from None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


ENDPOINTS: dict[str, dict[str, Handler]] = {
    FAULTS: {
        "GET": get_faults,
        "POST": post_faults,
        "PATCH": patch_faults,
        "DELETE": delete_faults,
    },
    EFFECTS: {"GET": get_effects, "POST": post_effects},
}
