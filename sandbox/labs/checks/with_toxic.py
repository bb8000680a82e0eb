"""with_toxic: put a toxic on a faults proxy, run a check, and take the toxic off again,
whatever the check did (passed, failed, or raised).

E.g. "with users 3 s slower, orders still answers within 1 s": a latency toxic of 3000 ms
on the proxy named users, around an http check with `within_ms: 1000`. The toxic follows
Toxiproxy's JSON (type, stream, toxicity, attributes); its name defaults to one of the
grader's own, so it never collides with a toxic someone added by hand.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field

from sandbox.errors import SandboxError
from sandbox.faults.client import FaultsApiError, FaultsClient
from sandbox.labs.checks.base import (
    Capability,
    CheckContext,
    CheckKind,
    Outcome,
    Params,
    Status,
)
from sandbox.labs.checks.nesting import retold, run_nested


class ToxicSpec(Params):
    type: str  # latency, timeout, reset_peer, bandwidth, slow_close, limit_data, slicer, ...
    name: str | None = None
    stream: Literal["upstream", "downstream"] = "downstream"
    toxicity: float = Field(1.0, ge=0, le=1)
    attributes: dict[str, Any] = Field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        name = self.name or f"grader-{self.type}-{uuid.uuid4().hex[:6]}"
        return {"name": name, "type": self.type, "stream": self.stream,
                "toxicity": self.toxicity, "attributes": self.attributes}  # fmt: skip

    def describe(self, proxy: str) -> str:
        attributes = ", ".join(f"{k}={v}" for k, v in self.attributes.items())
        chance = "" if self.toxicity == 1 else f", toxicity {self.toxicity:g}"
        return f"with {self.type} ({attributes or 'defaults'}{chance}) on proxy {proxy}"


class WithToxicParams(Params):
    proxy: str
    toxic: ToxicSpec
    check: dict[str, Any]  # a nested check: {kind: ..., <its params>}, run while it is on


def evaluate(params: WithToxicParams, ctx: CheckContext) -> Outcome:
    faults = FaultsClient(ctx.endpoints["faults"])
    body = params.toxic.body()
    try:
        faults.add_toxic(params.proxy, body)
    except FaultsApiError as err:  # no such proxy, a bad toxic: the lab's setup
        return Outcome.unknown(f"could not add the toxic to proxy {params.proxy}: {err}")
    try:
        outcome = run_nested(ctx, params.check)
    finally:
        removed = _remove(faults, params.proxy, body["name"])
    if removed is not None and outcome.status is Status.PASSED:
        return Outcome.unknown(f"the check passed, but the toxic stayed on: {removed}")
    return retold(outcome, params.toxic.describe(params.proxy))


def _remove(faults: FaultsClient, proxy: str, name: str) -> str | None:
    """Take the toxic off; None when done (or already gone), else why it could not be."""
    try:
        faults.remove_toxic(proxy, name)
    except FaultsApiError as err:
        if err.status != 404:
            return str(err)
    except SandboxError as err:  # the faults server stopped answering
        return str(err)
    return None


EXAMPLE = {
    "proxy": "users",
    "toxic": {"type": "latency", "attributes": {"latency": 3000}},
    "check": {"kind": "http", "service": "orders", "method": "POST", "path": "/orders",
              "body": {"user_id": 7, "item": "cable"}, "within_ms": 1000,
              "expect": {"status": [503, 201]}},
}  # fmt: skip
KIND = CheckKind(
    "with_toxic",
    WithToxicParams,
    evaluate,
    needs=("faults",),
    requires=(Capability.FAULTS,),
    example=EXAMPLE,
    summary="Put a toxic on a faults proxy, run a nested check, always take the toxic off.",
    disruptive=True,  # a toxic slows or breaks every check that goes through the proxy
)
