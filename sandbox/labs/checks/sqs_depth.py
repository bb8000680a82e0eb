"""sqs_depth: how many messages wait in a queue (a dead-letter queue included)."""

from __future__ import annotations

from typing import Literal

from botocore.exceptions import ClientError

from sandbox.aws.clients import client
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params
from sandbox.labs.checks.metric import OPERATORS


class SqsParams(Params):
    queue: str
    op: Literal[">", ">=", "==", "<", "<="] = ">="
    value: int = 1
    include_in_flight: bool = False


def evaluate(params: SqsParams, ctx: CheckContext) -> Outcome:
    sqs = client("sqs", ctx.endpoints["aws"])
    try:
        url = sqs.get_queue_url(QueueName=params.queue)["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    except ClientError as err:  # the emulator's answer, e.g. QueueDoesNotExist
        return Outcome.failed(f"could not read queue {params.queue}: {err}")
    depth = int(attrs.get("ApproximateNumberOfMessages", 0))
    if params.include_in_flight:
        depth += int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0))
    if OPERATORS[params.op](depth, params.value):
        return Outcome.passed(f"{params.queue} holds {depth} message(s)")
    return Outcome.failed(
        f"expected {params.queue} depth {params.op} {params.value}, observed {depth}"
    )


EXAMPLE = {"queue": "sandbox-jobs-dlq", "op": "==", "value": 1}
KIND = CheckKind(
    "sqs_depth",
    SqsParams,
    evaluate,
    needs=("aws",),
    example=EXAMPLE,
    summary="How many messages wait in a queue (a dead-letter queue included).",
)
