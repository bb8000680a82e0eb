"""fault: stop a service, evaluate a check while it is down, then restore the service.

E.g. "/ready turns 503 when Redis is stopped": stop redis, expect http /ready 503."""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Literal

from pydantic import Field

from sandbox.labs.checks.base import Capability, CheckContext, CheckKind, Outcome, Params


class FaultParams(Params):
    stop: Literal["postgres", "redis", "aws", "app"]
    check: dict[str, Any]  # a nested check: {kind: ..., <its params>}, run while stopped
    settle: float = Field(0.5, ge=0, le=30)  # seconds to wait after stopping
    restore: bool = True


def evaluate(params: FaultParams, ctx: CheckContext) -> Outcome:
    control, nested = ctx.control, ctx.nested
    if control is None or nested is None:
        return Outcome.unknown("faults need the running stack")
    try:
        control.stop_service(params.stop)
    except Exception as err:
        return Outcome.unknown(f"could not stop {params.stop}: {err}")
    try:
        time.sleep(params.settle)
        outcome: Outcome = nested(params.check)
    finally:
        if params.restore:
            control.start_service(params.stop)
    return dataclasses.replace(outcome, message=f"with {params.stop} stopped: {outcome.message}")


def _stopped(params: FaultParams) -> tuple[str, ...]:
    """The service to stop must be up first; the nested check declares its own needs."""
    return (params.stop,)


EXAMPLE = {"stop": "redis", "check": {"kind": "http", "path": "/ready", "expect": {"status": 503}}}
KIND = CheckKind(
    "fault",
    FaultParams,
    evaluate,
    needs=_stopped,
    requires=(Capability.CONTROL,),
    example=EXAMPLE,
    summary="Stop a service, evaluate a nested check while it is down, then restore it.",
    disruptive=True,
)
