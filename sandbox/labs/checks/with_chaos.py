"""with_chaos: set AWS fault rules (LocalStack's chaos API, served by the sandbox's emulator)
and/or a latency on every AWS call, run a check, then put back exactly what was in force
before, whatever the check did (passed, failed, or raised).

E.g. "every order is stored although 30% of DynamoDB PutItem calls are throttled":

    kind: with_chaos
    rules:
      - {service: dynamodb, operation: PutItem, probability: 0.3,
         error: {statusCode: 400, code: ProvisionedThroughputExceededException}}
    check: {kind: ..., ...}

The rules are checked when the lab file loads (an unknown service or operation is an error
with a suggestion), and sent as they are written.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from sandbox.aws.clients import is_real_aws
from sandbox.errors import SandboxError
from sandbox.labs.checks.base import (
    Capability,
    CheckContext,
    CheckKind,
    Outcome,
    Params,
    Status,
)
from sandbox.labs.checks.nesting import retold, run_nested


class WithChaosParams(Params):
    rules: list[dict[str, Any]] = Field(default_factory=list)  # as LocalStack's chaos API
    latency_ms: int | None = Field(None, ge=0, le=60_000)  # added to every AWS call
    check: dict[str, Any]  # a nested check: {kind: ..., <its params>}, run while in force

    @field_validator("rules")
    @classmethod
    def _valid_rules(cls, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from sandbox.services.chaos.rules import RuleError, parse_rules

        try:
            parse_rules(rules)
        except RuleError as err:
            raise ValueError(str(err)) from None
        return rules

    @model_validator(mode="after")
    def _some_chaos(self) -> WithChaosParams:
        if not self.rules and self.latency_ms is None:
            raise ValueError("give rules (AWS errors), latency_ms, or both")
        return self

    def describe(self) -> str:
        parts = [_rule_words(rule) for rule in self.rules]
        if self.latency_ms is not None:
            parts.append(f"{self.latency_ms} ms on every AWS call")
        return "with " + " and ".join(parts)


def evaluate(params: WithChaosParams, ctx: CheckContext) -> Outcome:
    from sandbox.services.chaos.client import ChaosClient

    endpoint = ctx.endpoints["aws"]
    if is_real_aws(endpoint):
        return Outcome.unknown("fault rules need the sandbox's AWS emulator; real AWS has none")
    chaos = ChaosClient(endpoint)
    try:
        before_rules, before_latency = chaos.faults(), chaos.effects().get("latency", 0)
    except SandboxError as err:  # no chaos API there (LocalStack without a licence)
        return Outcome.unknown(f"could not read the fault rules in force: {err}")
    try:
        _apply(chaos, params)
    except SandboxError as err:  # a rule the emulator refused
        _restore(chaos, params, before_rules, before_latency)  # nothing half-applied stays
        return Outcome.unknown(f"could not set the fault rules: {err}")
    try:
        outcome = run_nested(ctx, params.check)
    finally:
        trouble = _restore(chaos, params, before_rules, before_latency)
    if trouble is not None and outcome.status is Status.PASSED:
        return Outcome.unknown(f"the check passed, but the faults stayed in force: {trouble}")
    return retold(outcome, params.describe())


def _apply(chaos: Any, params: WithChaosParams) -> None:
    if params.rules:
        chaos.add_faults(params.rules)
    if params.latency_ms is not None:
        chaos.set_latency(params.latency_ms)


def _restore(chaos: Any, params: WithChaosParams, rules: list[Any], latency: int) -> str | None:
    """Put back the rules and latency in force before; None when done, else why not."""
    try:
        if params.rules:
            chaos.set_faults(rules)
        if params.latency_ms is not None:
            chaos.set_latency(int(latency))
    except SandboxError as err:
        return str(err)
    return None


def _rule_words(rule: dict[str, Any]) -> str:
    error = rule.get("error", {})
    what = " ".join(str(rule[k]) for k in ("service", "operation") if rule.get(k))
    share = f"{float(rule.get('probability', 1)):.0%} of"
    code = error.get("code", "ServiceUnavailable")
    return f"{share} {what} calls failing with {code}"


EXAMPLE = {
    "rules": [{"service": "dynamodb", "operation": "PutItem", "probability": 0.3,
               "error": {"statusCode": 400, "code": "ProvisionedThroughputExceededException"}}],
    "check": {"kind": "success_ratio", "service": "orders", "method": "POST", "path": "/orders",
              "body": {"user_id": 7, "item": "chair"}, "count": 20},
}  # fmt: skip
KIND = CheckKind(
    "with_chaos",
    WithChaosParams,
    evaluate,
    needs=("aws",),
    requires=(Capability.CHAOS,),
    example=EXAMPLE,
    summary="Set AWS fault rules or latency (chaos API), run a nested check, restore them.",
    disruptive=True,  # chaos rules hit every AWS call, not only this check's
)
