"""event: fire a real event through the emulator (like `sandbox fire`) and expect the
processor's DynamoDB item, with the missing hop named when it does not come."""

from __future__ import annotations

from typing import Any, Literal

import jmespath
from pydantic import Field

from sandbox.aws.events import Firer
from sandbox.errors import SandboxError
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params
from sandbox.labs.checks.guard import connection_error


class EventParams(Params):
    source: Literal["s3", "sqs", "sns", "eventbridge", "dynamodb", "api"]
    data: dict[str, Any] = Field(default_factory=dict)
    expect: dict[str, Any] = Field(default_factory=dict)  # JMESPath -> value on the item
    timeout: float = Field(8.0, gt=0, le=120)


def evaluate(params: EventParams, ctx: CheckContext) -> Outcome:
    try:
        result = Firer(ctx.endpoints["aws"]).fire(params.source, params.data, params.timeout)
    except SandboxError as err:
        if connection_error(err) is not None:  # the emulator went away: the guard's
            raise
        return Outcome.failed(err.render())  # no item, the function failed, not deployed
    item = result.item or {}
    problems = [f"{path} = {jmespath.search(path, item)!r} (expected {value!r})"
                for path, value in params.expect.items()
                if jmespath.search(path, item) != value]  # fmt: skip
    if problems:
        return Outcome.failed(f"the {params.source} event's item: " + "; ".join(problems))
    return Outcome.passed(f"{params.source} event stored in {result.latency_ms:.0f} ms")


EXAMPLE = {"source": "sqs", "data": {"order_id": "o-1"}, "expect": {"processed": True}}
KIND = CheckKind(
    "event",
    EventParams,
    evaluate,
    needs=("aws",),
    example=EXAMPLE,
    summary="Fire a real event through the emulator (like `sandbox fire`); expect its item.",
)
