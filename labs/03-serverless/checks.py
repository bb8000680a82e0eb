"""Lab 03's own check kinds, for what the built-in `event` kind cannot show:

- sqs_poison_batch: one SQS batch [good, poison, good]; the poison message must reach the
  dead-letter queue and only it, and each good message must be stored exactly once.
- duplicate_delivery: the same event invoked twice leaves exactly one item, untouched by
  the second delivery.
- s3_key_roundtrip: an object whose key has spaces and accents is stored with its real key.

Registered explicitly by `register(registry)`; importing this module does nothing else.
Each kind needs the AWS emulator: the runner's guard makes a check UNKNOWN when the emulator
is down or stops answering; what the emulator answers (`_judged`) is FAILED.

No `from __future__ import annotations` here: the loader imports this file by path without
putting it in sys.modules, so pydantic could not resolve string annotations such as
`Literal[...]` on the parameter models.
"""

import json
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Field, field_validator

from sandbox.aws import lambda_logs
from sandbox.aws.browse import scan_items
from sandbox.aws.clients import client, is_real_aws
from sandbox.aws.events import Firer
from sandbox.aws.ledger import InvocationLedger
from sandbox.aws.names import Names
from sandbox.aws.samples import sample
from sandbox.errors import SandboxError
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params, Registry
from sandbox.labs.checks.guard import connection_error

NAMES = Names()
POLL = 0.5


# -- shared helpers ------------------------------------------------------------------------


def _judged(evaluate: Callable[[Any, CheckContext], Outcome]) -> Callable[..., Outcome]:
    """The emulator's refusals (a missing queue: not deployed) are FAILED with what to do;
    an emulator that does not answer at all is left to the runner's guard (UNKNOWN)."""

    def run(params: Any, ctx: CheckContext) -> Outcome:
        try:
            return evaluate(params, ctx)
        except SandboxError as err:
            if connection_error(err) is not None:
                raise
            return Outcome.failed(err.render())
        except ClientError as err:
            error = err.response.get("Error", {})
            return Outcome.failed(
                f"the emulator refused a call: {error.get('Code', '?')}: "
                f"{error.get('Message', '')} (has `sandbox deploy` run?)"
            )

    return run


def _items_mentioning(endpoint: str, text: str) -> list[dict[str, Any]]:
    items = scan_items(client("dynamodb", endpoint), NAMES.events_table)
    return [i for i in items if text in json.dumps(i, default=str, ensure_ascii=False)]


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _function_trouble(endpoint: str, since: float) -> str:
    """The function's last error since `since`, or how often it ran: for failure messages."""
    try:
        runs = lambda_logs.invocations_since(
            client("logs", endpoint), NAMES.function, int(since * 1000) - 1000
        )
    except (ClientError, BotoCoreError):
        return ""
    failed = [run for run in runs if run.failed]
    if failed:
        return "; the function failed: " + " | ".join(failed[-1].error_lines()[-3:])
    if not runs:
        return "; the function was not invoked (run `sandbox deploy`)"
    notes = [ln for run in runs for ln in run.lines if '"message"' in ln]
    return f"; the function ran {len(runs)} time(s)" + (
        f", last log line: {_short(notes[-1])}" if notes else ""
    )


# -- sqs_poison_batch ----------------------------------------------------------------------

# The check's own queue pair, wired to the learner's function like sandbox-jobs but built to
# answer fast: a message comes back 1 s after a failed delivery (not 5 s), and one failed
# receive is enough to dead-letter it (not 2). The learner's own queues are left alone.
POISON_QUEUE = f"{NAMES.prefix}-lab03-poison"
POISON_DLQ = f"{POISON_QUEUE}-dlq"
POISON_VISIBILITY = 1  # seconds; ministack and SQS count whole seconds
FAST_POLL = 0.1


class PoisonParams(Params):
    timeout: float = Field(10.0, gt=0, le=120)  # 1 s visibility + the poller's 1 s + slack
    settle: float = Field(0.2, ge=0, le=10)  # after the poison arrives, for stragglers


def ensure_poison_queues(endpoint: str) -> tuple[str, str]:
    """The check's queue and dead-letter queue, and the trigger from the queue to the
    function (idempotent: created on the first run after each deploy or reset)."""
    sqs = client("sqs", endpoint)
    dlq = sqs.create_queue(QueueName=POISON_DLQ)["QueueUrl"]
    redrive = {"deadLetterTargetArn": NAMES.queue_arn(POISON_DLQ), "maxReceiveCount": "1"}
    attributes = {"VisibilityTimeout": str(POISON_VISIBILITY), "RedrivePolicy": json.dumps(redrive)}
    queue = sqs.create_queue(QueueName=POISON_QUEUE, Attributes=attributes)["QueueUrl"]
    lam = client("lambda", endpoint)
    arn = NAMES.queue_arn(POISON_QUEUE)
    mappings = lam.list_event_source_mappings(FunctionName=NAMES.function, EventSourceArn=arn)
    if not mappings["EventSourceMappings"]:
        lam.create_event_source_mapping(
            FunctionName=NAMES.function, EventSourceArn=arn, Enabled=True, BatchSize=10,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )  # fmt: skip
    return queue, dlq


def _dead_letters(sqs: Any, url: str, marker: str) -> set[str]:
    """Bodies in the check's dead-letter queue that carry `marker`. Ours are deleted as they
    are read (this queue is the check's own); any other run's come back at once."""
    found: set[str] = set()
    for _ in range(20):  # pages of 10, each hidden a moment so the next page is new
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=5)
        messages = page.get("Messages", [])
        if not messages:
            break
        found |= {m["Body"] for m in messages if marker in m["Body"]}
        _settle_page(sqs, url, messages, marker)
    return found


def _settle_page(sqs: Any, url: str, messages: list[dict[str, Any]], marker: str) -> None:
    ours = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
            for n, m in enumerate(messages) if marker in m["Body"]]  # fmt: skip
    others = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
              for n, m in enumerate(messages) if marker not in m["Body"]]  # fmt: skip
    try:
        if ours:
            sqs.delete_message_batch(QueueUrl=url, Entries=ours)
        if others:
            sqs.change_message_visibility_batch(QueueUrl=url, Entries=others)
    except (ClientError, BotoCoreError):
        pass  # they come back by themselves after the visibility timeout


def _in_queue(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs.get("ApproximateNumberOfMessages", 0)) + int(
        attrs.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def _poison_batch(marker: str) -> tuple[list[dict[str, str]], dict[int, str], str]:
    goods = {n: f"{marker}-good-{n}" for n in (1, 2)}
    poison = f"not json: {{{marker}-poison"
    entries = [
        {"Id": "good1", "MessageBody": json.dumps({"event_type": "job.requested",
                                                   "job": goods[1]})},
        {"Id": "poison", "MessageBody": poison},
        {"Id": "good2", "MessageBody": json.dumps({"event_type": "job.requested",
                                                   "job": goods[2]})},
    ]  # fmt: skip
    return entries, goods, poison


def evaluate_poison(params: PoisonParams, ctx: CheckContext) -> Outcome:
    endpoint = ctx.endpoints["aws"]
    if is_real_aws(endpoint):
        return Outcome.unknown("this check builds its own queues: it runs on the emulator only")
    sqs = client("sqs", endpoint)
    queue, dlq = ensure_poison_queues(endpoint)
    marker = f"lab03-{uuid.uuid4().hex[:12]}"
    entries, goods, poison = _poison_batch(marker)
    started = time.time()
    answer = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    if answer.get("Failed"):
        return Outcome.unknown(f"could not send the batch: {_short(answer['Failed'])}")
    dead, poison_at, emptied = _watch_poison(sqs, queue, dlq, marker, poison, params, started)
    stored = {n: len(_items_mentioning(endpoint, text)) for n, text in goods.items()}
    trouble = "" if poison in dead else _function_trouble(endpoint, started)
    fate = (
        "it left the queue, so the function reported it as processed and it was deleted"
        if emptied
        else "the queue still holds messages: is the function failing every batch?"
    )
    return _judge_poison(params, poison_at, dead, goods, stored, started, fate, trouble)


def _watch_poison(
    sqs: Any, queue: str, dlq: str, marker: str, poison: str, params: PoisonParams,
    started: float,
) -> tuple[set[str], float | None, bool]:  # fmt: skip
    """Until the poison is dead-lettered (then a moment more for the rest of a failed batch)
    or the queue is empty without it: what reached the DLQ, when the poison did, and
    whether the queue emptied without it."""
    dead: set[str] = set()
    while time.time() - started < params.timeout:
        dead |= _dead_letters(sqs, dlq, marker)
        if poison in dead:
            poison_at = time.time() - started
            time.sleep(params.settle)
            return dead | _dead_letters(sqs, dlq, marker), poison_at, False
        if _in_queue(sqs, queue) == 0:  # delivered and gone: deleted, or just moved
            dead |= _dead_letters(sqs, dlq, marker)
            return dead, (time.time() - started) if poison in dead else None, poison not in dead
        time.sleep(FAST_POLL)
    return dead, None, False


def _judge_poison(
    params: PoisonParams,
    poison_at: float | None,
    dead: set[str],
    goods: dict[int, str],
    stored: dict[int, int],
    started: float,
    why: str,
    trouble: str,
) -> Outcome:
    problems = []
    if poison_at is None:
        waited = time.time() - started
        problems.append(
            f"the poison message (not JSON) never reached the dead-letter queue "
            f"(watched {waited:.1f} s); {why}; report its messageId in batchItemFailures"
        )
    dead_goods = [n for n, text in goods.items() if any(text in body for body in dead)]
    if dead_goods:
        which = " and ".join(f"#{n}" for n in dead_goods)
        problems.append(
            f"good message {which} reached the dead-letter queue too: the whole batch "
            "was failed (an exception, or every messageId reported); report only the "
            "poison message's id"
        )
    for n, count in stored.items():
        if count == 0:
            problems.append(f"good message #{n} is not stored in {NAMES.events_table}")
        elif count > 1:
            problems.append(
                f"good message #{n} is stored {count} times in {NAMES.events_table} "
                "(expected exactly once)"
            )
    if problems:
        return Outcome.failed(
            f"batch [good, poison, good] sent to {POISON_QUEUE} (the check's own queue, wired "
            "like sandbox-jobs): " + "; ".join(problems) + trouble
        )
    return Outcome.passed(
        f"the poison message reached the dead-letter queue after {poison_at or 0:.1f} s; "
        "both good messages were stored once and none was dead-lettered"
    )


# -- duplicate_delivery --------------------------------------------------------------------

DuplicateSource = Literal["s3", "sqs", "sns", "eventbridge", "dynamodb"]


class DuplicateParams(Params):
    source: DuplicateSource = "s3"
    deliveries: int = Field(2, ge=2, le=5)


def _duplicate_event(source: str, marker: str) -> tuple[dict[str, Any], str]:
    """One realistic event carrying `marker`, and how to name it in messages."""
    if source == "s3":
        key = f"uploads/{marker}/report 2026.csv"
        return sample("s3", "put", NAMES, key), f"the S3 ObjectCreated event for key {key!r}"
    if source == "sqs":
        body = {"event_type": "job.requested", "job": marker}
        return sample("sqs", None, NAMES, body), f"the SQS message {json.dumps(body)}"
    if source == "sns":
        message = {"event_type": "user.signed_up", "user": marker}
        return sample("sns", None, NAMES, message), f"the SNS notification {json.dumps(message)}"
    if source == "eventbridge":
        detail = {"order_id": marker, "total": 42.5}
        what = f"the EventBridge event with detail {json.dumps(detail)}"
        return sample("eventbridge", "order", NAMES, detail), what
    return sample("dynamodb", "insert", NAMES, marker), f"the stream INSERT of order {marker}"


def _invocation_problem(answer: dict[str, Any], which: str) -> str | None:
    if not answer.get("function_error"):
        return None
    result = answer.get("result")
    reason = result.get("errorMessage", result) if isinstance(result, dict) else result
    return f"the {which} delivery failed: {_short(reason)}"


def _changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [
        f"{key}: {_short(before.get(key), 60)} -> {_short(after.get(key), 60)}"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def evaluate_duplicate(params: DuplicateParams, ctx: CheckContext) -> Outcome:
    endpoint = ctx.endpoints["aws"]
    firer = Firer(endpoint, NAMES)
    marker = f"lab03-{uuid.uuid4().hex[:12]}"
    event, what = _duplicate_event(params.source, marker)
    first = firer.invoke(event)
    failure = _invocation_problem(first, "first")
    if failure:
        return Outcome.failed(f"{what}: {failure}")
    before = _items_mentioning(endpoint, marker)
    if len(before) != 1:
        notes = [line for line in first.get("log", []) if '"message"' in line]
        return Outcome.failed(
            f"one delivery of {what} should store exactly one item; found {len(before)} "
            f"(the function returned {_short(first.get('result'))}"
            + (f", last log line: {_short(notes[-1])}" if notes else "")
            + ")"
        )
    for n in range(2, params.deliveries + 1):
        again = firer.invoke(event)
        failure = _invocation_problem(again, "second" if n == 2 else f"#{n}")
        if failure:
            return Outcome.failed(
                f"{what}, delivered again: {failure}. A duplicate must be a quiet no-op, not an "
                "error (an error makes the source retry it, again and again)"
            )
    after = _items_mentioning(endpoint, marker)
    if len(after) != 1:
        return Outcome.failed(
            f"{what}, delivered {params.deliveries} times, left {len(after)} items (expected "
            "exactly one): derive event_id from the record itself, not from a random uuid"
        )
    changed = _changed_fields(before[0], after[0])
    if changed:
        return Outcome.failed(
            f"{what}, delivered again, rewrote its item ({'; '.join(changed)}): a redelivery "
            "must leave the first write alone (a conditional put)"
        )
    return Outcome.passed(
        f"{what}, delivered {params.deliveries} times, left one item "
        f"(event_id {after[0].get('event_id')}), untouched by the redeliveries"
    )


# -- s3_key_roundtrip ----------------------------------------------------------------------


class KeyParams(Params):
    key: str = "uploads/{marker}/résumé 2026 (100%).csv"
    timeout: float = Field(10.0, gt=0, le=60)

    @field_validator("key")
    @classmethod
    def _has_marker(cls, key: str) -> str:
        if "{marker}" not in key:
            raise ValueError("the key must contain {marker} (each run uploads a new object)")
        return key


def evaluate_key(params: KeyParams, ctx: CheckContext) -> Outcome:
    endpoint = ctx.endpoints["aws"]
    marker = f"lab03-{uuid.uuid4().hex[:12]}"
    key = params.key.replace("{marker}", marker)
    started, ledger = time.time(), InvocationLedger(endpoint)
    client("s3", endpoint).put_object(Bucket=NAMES.bucket, Key=key, Body=b"id,total\n1,42.5\n")
    while time.time() - started < params.timeout:
        handled = ledger.all_handled(marker)  # asked first: an item may land after it
        items = _items_mentioning(endpoint, marker)
        if items:
            stored = [i.get("data", {}).get("key") if isinstance(i.get("data"), dict) else None
                      for i in items]  # fmt: skip
            if key in stored:
                return Outcome.passed(f"the upload {key!r} is stored with its real key")
            return Outcome.failed(
                f"uploaded {key!r}, but the item says data.key = {_short(stored[0])!r}: S3 "
                "sends keys URL-encoded in events (a space as '+', other characters as %XX)"
            )
        if handled:
            return Outcome.failed(
                f"uploaded {key!r} to {NAMES.bucket}: the function handled its event without "
                f"error and stored no item that mentions it{_function_trouble(endpoint, started)}"
            )
        time.sleep(POLL)
    return Outcome.failed(
        f"uploaded {key!r} to {NAMES.bucket}: no item mentions it after "
        f"{params.timeout:g} s{_function_trouble(endpoint, started)}"
    )


def register(registry: Registry) -> None:
    kinds = (
        ("sqs_poison_batch", PoisonParams, evaluate_poison),
        ("duplicate_delivery", DuplicateParams, evaluate_duplicate),
        ("s3_key_roundtrip", KeyParams, evaluate_key),
    )
    for name, params, evaluate in kinds:
        registry.add(CheckKind(name, params, _judged(evaluate), needs=("aws",)))
