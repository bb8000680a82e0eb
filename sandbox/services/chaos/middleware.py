"""The ASGI wrapper around ministack's app: the chaos API, then latency and faults.

With no rule and no latency a request costs one attribute read more than ministack alone
(`ChaosState.active`): that fast path is what `bench/chaos_overhead.py` measures. Only when
something is in force is a request classified (`calls`), and only as far as the rules need.
"""

from __future__ import annotations

import asyncio
import logging

from sandbox.services.chaos import api
from sandbox.services.chaos.asgi import App, Receive, Reply, Scope, Send, read_body, send_reply
from sandbox.services.chaos.calls import Call, classify
from sandbox.services.chaos.responses import AwsError, aws_error
from sandbox.services.chaos.state import ChaosState, Fault

# The emulator's own endpoints (health, reset, this API) are never slowed nor failed: the
# sandbox's readiness probe and `sandbox chaos clear` must answer whatever is in force.
ADMIN_PREFIXES = ("/_localstack/", "/_ministack/")

log = logging.getLogger("sandbox.chaos")


class ChaosMiddleware:
    def __init__(self, app: App, state: ChaosState | None = None) -> None:
        self.app = app
        self.state = state or ChaosState()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"].startswith(api.PREFIX):
                await api.serve(self.state, scope, receive, send)
                return
            if self.state.active and not scope["path"].startswith(ADMIN_PREFIXES):
                await self._disrupt(scope, receive, send)
                return
        await self.app(scope, receive, send)  # lifespan, websockets, and the fast path

    async def _disrupt(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.state.latency_ms:
            await asyncio.sleep(self.state.latency_ms / 1000)
        call = classify(scope, receive) if self.state.rules else None
        if call is None:
            await self.app(scope, receive, send)
            return
        fault = await self._fault_for(call)
        if fault is None:
            await self.app(scope, call.receive, send)  # replays a form body classifying read
            return
        log.info("chaos: %s", fault.describe())
        await read_body(call.receive)  # read the client's body to its end: keep-alive holds
        await send_reply(send, injected(fault, call.region), head=scope["method"] == "HEAD")

    async def _fault_for(self, call: Call) -> Fault | None:
        try:
            return await self.state.fault_for(call)
        except Exception:  # a bug in chaos must not fail a call no rule asked to fail
            log.exception("chaos: could not match %s %s; passed it on", call.method, call.path)
            return None


def injected(fault: Fault, region: str) -> Reply:
    """The AWS error the rule asks for, in the protocol the call was made in."""
    rule, invocation = fault.rule, fault.invocation
    where = f"{invocation.service.name} {invocation.operation} in {region}"
    message = (
        f"{where} failed on purpose: chaos rule {fault.number} ({rule.describe()}); "
        "`sandbox chaos list` shows the rules, `sandbox chaos clear` removes them"
    )
    service = invocation.service
    error = AwsError(rule.status, rule.code, message, service.name, service.query_compatible)
    return aws_error(invocation.wire, error)
