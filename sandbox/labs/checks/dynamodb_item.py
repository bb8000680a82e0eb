"""dynamodb_item: an item exists (by key, or by matching attributes) with expected values."""

from __future__ import annotations

import json
from typing import Any

import jmespath
from botocore.exceptions import ClientError
from pydantic import Field, model_validator

from sandbox.aws.browse import plain, scan_items
from sandbox.aws.clients import client
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params


class DynamoParams(Params):
    table: str = "sandbox-events"
    key: dict[str, Any] | None = None  # exact primary key
    match: dict[str, Any] = Field(default_factory=dict)  # JMESPath -> value, over a scan
    expect: dict[str, Any] = Field(default_factory=dict)  # JMESPath -> value on the item
    count: int | None = None  # exactly this many items match (e.g. 1 for idempotency)

    @model_validator(mode="after")
    def _one_way_to_find(self) -> DynamoParams:
        if (self.key is None) == (not self.match):
            raise ValueError("give either key (the primary key) or match (attributes to scan for)")
        return self


def evaluate(params: DynamoParams, ctx: CheckContext) -> Outcome:
    ddb = client("dynamodb", ctx.endpoints["aws"])
    try:
        items = _find(ddb, params)
    except ClientError as err:  # the emulator's answer, e.g. ResourceNotFoundException
        return Outcome.failed(f"could not read table {params.table}: {_reason(err)}")
    return _judge(params, items)


def _find(ddb: Any, params: DynamoParams) -> list[dict[str, Any]]:
    if params.key is not None:
        from boto3.dynamodb.types import TypeSerializer

        key = {k: TypeSerializer().serialize(v) for k, v in params.key.items()}
        item = ddb.get_item(TableName=params.table, Key=key).get("Item")
        return [plain(item)] if item else []
    return [i for i in scan_items(ddb, params.table) if _matches(i, params.match)]


def _matches(item: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(jmespath.search(path, item) == value for path, value in wanted.items())


def _judge(params: DynamoParams, items: list[dict[str, Any]]) -> Outcome:
    where = f"{params.table} item {json.dumps(params.key or params.match, default=str)}"
    if params.count is not None and len(items) != params.count:
        return Outcome.failed(f"expected {params.count} {where}, found {len(items)}")
    if not items:
        return Outcome.failed(f"no {where}")
    problems = [f"{path} = {jmespath.search(path, items[0])!r} (expected {value!r})"
                for path, value in params.expect.items()
                if jmespath.search(path, items[0]) != value]  # fmt: skip
    if problems:
        return Outcome.failed(f"{where} found, but " + "; ".join(problems))
    return Outcome.passed(f"{where} found" + (f" ({len(items)})" if len(items) > 1 else ""))


def _reason(err: ClientError) -> str:
    error = err.response.get("Error", {})
    return f"{error.get('Code', '')}: {error.get('Message', '')}"


EXAMPLE = {"match": {"source": "aws:s3"}, "expect": {"processed": True}, "count": 1}
KIND = CheckKind(
    "dynamodb_item",
    DynamoParams,
    evaluate,
    needs=("aws",),
    example=EXAMPLE,
    summary="A DynamoDB item exists (by key, or by matching attributes) with expected values.",
)
