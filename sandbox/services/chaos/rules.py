"""A fault rule as LocalStack's chaos API writes it, checked, and matched against a call.

    {"service": "dynamodb", "region": "us-east-1", "operation": "PutItem", "probability": 0.3,
     "error": {"statusCode": 400, "code": "ThrottlingException"}}

As in LocalStack: region and operation may be left out (any), probability defaults to 1, the
error to 503 ServiceUnavailable. Unlike LocalStack, `service` is required (a rule without one
would fail every call to the emulator, this API's own clients included; issue #12 asks for a
clear error instead), and names are checked against botocore's models, so a typo ("dynamo",
"putItem") is a 400 with a suggestion rather than a rule that silently never fires.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.services.chaos import catalog
from sandbox.services.chaos.calls import Call, Invocation

FIELDS = ("service", "region", "operation", "probability", "error")
ERROR_FIELDS = ("statusCode", "code")
DEFAULT_STATUS = 503
DEFAULT_CODE = "ServiceUnavailable"
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
CODE = re.compile(r"[A-Za-z][A-Za-z0-9._:#-]{0,127}")  # it goes into a header too
EXAMPLE = '[{"service": "dynamodb", "operation": "PutItem", "probability": 0.5}]'


class RuleError(ValueError):
    """A rule (or the list) cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Rule:
    raw: Mapping[str, Any]  # as sent: what GET shows and what DELETE compares against
    service: catalog.ServiceInfo
    region: str | None
    operation: str | None
    probability: float
    status: int
    code: str

    async def match(self, call: Call) -> Invocation | None:
        """The call's invocation when this rule selects it (the probability is not rolled)."""
        if self.region is not None and call.region != self.region:
            return None
        invocation = await call.invocation(self.service)
        if invocation is None:
            return None
        if self.operation is not None and self.operation not in invocation.operations:
            return None
        return invocation

    def describe(self) -> str:
        where = " ".join(filter(None, [self.service.name, self.operation, self.region]))
        return f"{where} (p={self.probability:g}) -> {self.status} {self.code}"


def parse_rules(payload: object) -> list[Rule]:
    """Rules from the JSON a client sent: a list of rule objects."""
    if not isinstance(payload, list):
        raise RuleError(f"expected a JSON array of rules, like {EXAMPLE}")
    return [parse_rule(item, number) for number, item in enumerate(payload, 1)]


def parse_rule(item: object, number: int) -> Rule:
    try:
        return _parse(item)
    except RuleError as err:
        raise RuleError(f"rule {number}: {err}") from None


def _parse(item: object) -> Rule:
    rule = _object(item, FIELDS, "a rule")
    error = _object(rule.get("error", {}), ERROR_FIELDS, "'error'")
    service = _service(rule.get("service"))
    return Rule(
        raw=rule,
        service=service,
        region=_region(rule.get("region")),
        operation=_operation(rule.get("operation"), service),
        probability=_probability(rule.get("probability", 1)),
        status=_status(error.get("statusCode", DEFAULT_STATUS)),
        code=_code(error.get("code", DEFAULT_CODE)),
    )


def _object(value: object, fields: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RuleError(f"{what} must be a JSON object, like {EXAMPLE[1:-1]}")
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise RuleError(
            f"{what} has unknown field(s) {', '.join(map(repr, unknown))}; "
            f"the fields are {', '.join(fields)}"
        )
    return value


def _service(value: object) -> catalog.ServiceInfo:
    if value is None:
        raise RuleError(
            "it has no 'service': name the AWS service to fail as boto3 names it, "
            'e.g. "dynamodb", "sqs", "s3"'
        )
    name = _text(value, "service")
    names = catalog.service_names()
    if name not in names:
        raise RuleError(
            _unknown(
                f"'{name}' is not an AWS service botocore knows",
                catalog.suggest(name, sorted(names)),
            )
        )
    return catalog.service_info(name)


def _region(value: object) -> str | None:
    if value is None:
        return None
    region = _text(value, "region")
    if not REGION.fullmatch(region):
        raise RuleError(f"'region' {region!r} is not a region name like us-east-1")
    return region


def _operation(value: object, service: catalog.ServiceInfo) -> str | None:
    if value is None:
        return None
    operation = _text(value, "operation")
    if operation not in service.operations:
        message = f"'{operation}' is not an operation of {service.name}"
        raise RuleError(_unknown(message, service.suggest_operation(operation)))
    return operation


def _probability(value: object) -> float:
    # bool is an int to Python, and NaN fails both comparisons
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise RuleError(f"'probability' must be a number from 0 to 1, not {value!r}")
    return float(value)


def _status(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 400 <= value <= 599:
        raise RuleError(
            f"'error.statusCode' must be an HTTP error status from 400 to 599, not {value!r}"
        )
    return value


def _code(value: object) -> str:
    code = _text(value, "error.code")
    if not CODE.fullmatch(code):
        raise RuleError(
            f"'error.code' {code!r} must be an AWS error code like "
            "ThrottlingException (letters, digits and . _ : # -)"
        )
    return code


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise RuleError(f"'{what}' must be a non-empty string, not {value!r}")
    return value


def _unknown(message: str, suggestions: list[str]) -> str:
    return f"{message}; did you mean {' or '.join(suggestions)}?" if suggestions else message
