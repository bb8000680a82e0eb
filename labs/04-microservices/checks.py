"""Lab 04's own check kinds, for what the built-in kinds cannot show:

- idempotent_post: the same POST sent twice with one Idempotency-Key makes one resource
  (both answers name the same id), and a POST with another key makes another.
- orders_persisted: N orders sent at once are all accepted, and every order id answered is
  an item in the DynamoDB table (run inside `with_chaos`: throttled writes were retried).

Registered explicitly by `register(registry)`; importing this module does nothing else.
A service that does not answer at all is left to the runner's guard (UNKNOWN).

No `from __future__ import annotations`: pydantic resolves these parameter models here.
"""

import http.client
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError
from pydantic import Field

from sandbox.aws.clients import client
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params, Registry
from sandbox.labs.checks.guard import reason
from sandbox.labs.checks.web import Answer, fetch

# -- idempotent_post -----------------------------------------------------------------------


class IdempotentParams(Params):
    service: str = "orders"
    path: str = "/orders"
    body: dict[str, Any]
    header: str = "Idempotency-Key"
    id_field: str = "order_id"  # the field of the answer that names what was made
    timeout: float = Field(5.0, gt=0, le=60)


def evaluate_idempotent(params: IdempotentParams, ctx: CheckContext) -> Outcome:
    url = ctx.endpoints[params.service] + params.path
    key = f"grader-{uuid.uuid4().hex}"
    answers = [_post(url, params, key) for _ in range(2)] + [_post(url, params, key + "-other")]
    what = f"POST {params.path} twice with {params.header}: {key}"
    refused = [a for a in answers if not 200 <= a.status < 300]
    if refused:
        return Outcome.failed(f"{what}: answered {refused[0].status} ({_text(refused[0])})")
    first, again, other = (_id(a, params.id_field) for a in answers)
    if first is None:
        return Outcome.failed(f"{what}: the answer has no {params.id_field} ({_text(answers[0])})")
    if again != first:
        return Outcome.failed(
            f"{what}: two orders were made ({params.id_field} {first} and {again}); the second "
            "request must return the first order, not make a new one"
        )
    if other == first:
        return Outcome.failed(f"{what}, then with another key: the same {params.id_field} "
                              f"{first}; another key is another order")  # fmt: skip
    codes = "/".join(str(a.status) for a in answers[:2])
    return Outcome.passed(f"{what}: one order ({first}, answered {codes}); another key, another")


def _post(url: str, params: IdempotentParams, key: str) -> Answer:
    return fetch(url, "POST", params.body, {params.header: key}, params.timeout)


def _id(answer: Answer, field: str) -> Any:
    try:
        document = answer.json()
    except ValueError:
        return None
    return document.get(field) if isinstance(document, dict) else None


def _text(answer: Answer) -> str:
    return " ".join(answer.body[:200].decode(errors="replace").split())[:160]


# -- orders_persisted ----------------------------------------------------------------------


class PersistedParams(Params):
    service: str = "orders"
    path: str = "/orders"
    body: dict[str, Any]
    count: int = Field(20, ge=1, le=200)
    concurrency: int = Field(10, ge=1, le=32)
    table: str = "lab04-orders"
    key: str = "order_id"  # the table's partition key, also the answer's field
    # per order: boto3's standard mode backs off up to 1 s, 2 s, 4 s... between throttles
    timeout: float = Field(30.0, gt=0, le=120)


def evaluate_persisted(params: PersistedParams, ctx: CheckContext) -> Outcome:
    url = ctx.endpoints[params.service] + params.path

    def one(_n: int) -> tuple[str | None, str | None]:
        """(the id answered, None) or (None, why not)."""
        try:
            answer = fetch(url, "POST", params.body, timeout=params.timeout)
        except (OSError, http.client.HTTPException) as err:
            return None, reason(err)
        made = _id(answer, params.key) if 200 <= answer.status < 300 else None
        return (made, None) if made else (None, f"{answer.status} {_text(answer)[:80]}")

    with ThreadPoolExecutor(params.concurrency) as pool:
        results = list(pool.map(one, range(params.count)))
    refused = [why for _, why in results if why is not None]
    what = f"{params.count} POST {params.path}"
    if refused:
        return Outcome.failed(f"{what}: {len(refused)} not accepted, e.g. {refused[0]}")
    ids = [made for made, _ in results if made]
    missing = _missing(ctx.endpoints["aws"], params, ids)
    if missing:
        return Outcome.failed(f"{what}: all accepted, but {len(missing)} not in table "
                              f"{params.table}, e.g. {missing[0]}")  # fmt: skip
    return Outcome.passed(f"{what}: all {len(ids)} accepted and in table {params.table}")


def _missing(endpoint: str, params: PersistedParams, ids: list[str]) -> list[str]:
    ddb = client("dynamodb", endpoint)
    try:
        return [made for made in ids
                if "Item" not in ddb.get_item(TableName=params.table,
                                              Key={params.key: {"S": str(made)}})]  # fmt: skip
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return ids
        raise


def register(registry: Registry) -> None:
    registry.add(CheckKind("idempotent_post", IdempotentParams, evaluate_idempotent,
                           needs=lambda p: (p.service,)))  # fmt: skip
    registry.add(CheckKind("orders_persisted", PersistedParams, evaluate_persisted,
                           needs=lambda p: (p.service, "aws")))  # fmt: skip
