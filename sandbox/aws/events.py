"""Fire real events through the emulator's own delivery paths and report what happened.

Each fired event carries a unique `fire_id`; the processor's item is found by it, and the
function's log lines by the item's id. A timeout says which hop did not happen.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.aws import lambda_logs
from sandbox.aws.browse import scan_items
from sandbox.aws.clients import AwsError, client, translated
from sandbox.aws.deploy import stage_url
from sandbox.aws.ledger import InvocationLedger
from sandbox.aws.names import Names
from sandbox.errors import ConfigError, SandboxError

SOURCES = ("s3", "sqs", "sns", "eventbridge", "dynamodb", "api")
EXPECTED_SOURCE = {
    "s3": "aws:s3", "sqs": "aws:sqs", "sns": "aws:sns", "eventbridge": "myapp.orders",
    "dynamodb": "aws:dynamodb", "api": "api",
}  # fmt: skip
POLL_SECONDS = 0.02
RECENT_SECONDS = 5.0  # items stamped this long before the send still count as recent
FULL_SCAN_EVERY = 10
LEDGER_EVERY = 10  # polls: how often to ask the emulator which invocations carried the event


class EventTimeout(SandboxError):
    """The processor's item did not appear in time; the message names the missing hop."""


@dataclass
class FireResult:
    source: str
    fire_id: str
    sent: dict[str, Any]
    item: dict[str, Any] | None = None
    logs: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    hops_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Firer:
    def __init__(self, endpoint: str, names: Names | None = None) -> None:
        self.endpoint = endpoint
        self.names = names or Names()
        self.ledger = InvocationLedger(endpoint)
        self._lookups: dict[str, str] = {}

    def aws(self, service: str) -> Any:
        return client(service, self.endpoint)

    def fire(
        self, source: str, data: dict[str, Any] | None = None, timeout: float = 10.0
    ) -> FireResult:
        if source not in SOURCES:
            raise ConfigError(f"cannot fire {source!r}", f"use one of: {', '.join(SOURCES)}")
        fire_id = uuid.uuid4().hex
        payload = {**(data or {}), "fire_id": fire_id}
        started = time.time()
        with translated(f"send a {source} event", self.endpoint):
            sent = getattr(self, f"_send_{source}")(fire_id, payload)
        result = FireResult(source, fire_id, sent)
        result.item = self._wait_for_item(source, fire_id, started, timeout)
        result.latency_ms = round((time.time() - started) * 1000, 1)
        self._attach_logs(result, started)
        return result

    # -- sending, one way per source ------------------------------------------------------

    def _send_s3(self, fire_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        key = f"fired/{fire_id}.json"
        self.aws("s3").put_object(Bucket=self.names.bucket, Key=key, Body=json.dumps(payload))
        return {"action": "s3 put-object", "bucket": self.names.bucket, "key": key}

    def _send_sqs(self, fire_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        sqs = self.aws("sqs")
        url = self._remember(
            "queue_url", lambda: sqs.get_queue_url(QueueName=self.names.queue)["QueueUrl"]
        )
        body = json.dumps({"event_type": "order.created", **payload})
        message_id = sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]
        return {"action": "sqs send-message", "queue": self.names.queue, "message_id": message_id,
                "body": body}  # fmt: skip

    def _send_sns(self, fire_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        message = json.dumps({"event_type": "notification.sent", **payload})
        answer = self.aws("sns").publish(
            TopicArn=self.names.topic_arn, Message=message, Subject="sandbox fire"
        )
        return {"action": "sns publish", "topic": self.names.topic,
                "message_id": answer["MessageId"], "message": message}  # fmt: skip

    def _send_eventbridge(self, fire_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        entry = {"Source": "myapp.orders", "DetailType": "order.created",
                 "Detail": json.dumps(payload), "EventBusName": "default"}  # fmt: skip
        answer = self.aws("events").put_events(Entries=[entry])
        if answer.get("FailedEntryCount"):
            raise AwsError(f"put-events rejected the event: {answer['Entries']}", "")
        return {"action": "events put-events", **entry}

    def _send_dynamodb(self, fire_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        item = {"order_id": {"S": fire_id}, "body": {"S": json.dumps(payload)}}
        self.aws("dynamodb").put_item(TableName=self.names.orders_table, Item=item)
        return {"action": "dynamodb put-item", "table": self.names.orders_table,
                "order_id": fire_id}  # fmt: skip

    def _send_api(self, fire_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        url = self.events_url()
        body = {"event_type": "order.created", "event_id": fire_id, "data": payload}
        status, answer = post_json(url, body)
        if status >= 300:
            raise AwsError(f"POST {url} answered {status}: {answer}", "check `sandbox logs aws`")
        return {"action": "POST /events", "url": url, "status": status, "body": body}

    def _remember(self, key: str, lookup: Any) -> str:
        """Look a URL up once per Firer: lookups are not part of the event's latency."""
        if key not in self._lookups:
            self._lookups[key] = str(lookup())
        return self._lookups[key]

    def events_url(self) -> str:
        return self._remember("events_url", self._find_events_url)

    def _find_events_url(self) -> str:
        api = self.aws("apigateway")
        for item in api.get_rest_apis(limit=500).get("items", []):
            if item["name"] == self.names.api:
                return stage_url(self.endpoint, item["id"], self.names.stage) + "/events"
        raise not_deployed()

    # -- observing ------------------------------------------------------------------------

    def _wait_for_item(
        self, source: str, fire_id: str, started: float, timeout: float
    ) -> dict[str, Any]:
        deadline, polls = started + timeout, 0
        since = _iso(started - RECENT_SECONDS)
        while time.time() < deadline:
            # Mostly look at recent items only (cheap on a big table); now and then at all
            # of them, for a processor that writes its timestamps in another format.
            recent_only = polls % FULL_SCAN_EVERY != FULL_SCAN_EVERY - 1
            found = self.find_item(source, fire_id, since if recent_only else None)
            if found is not None:
                return found
            polls += 1
            if polls % LEDGER_EVERY == 0 and self._handled_without_item(source, fire_id):
                head = (f"no item for the {source} event {fire_id} (each invocation that "
                        "carried it returned without error, so none will come)")  # fmt: skip
                raise EventTimeout(*self._diagnose(source, fire_id, started, head))
            time.sleep(POLL_SECONDS)
        head = f"no item for the {source} event {fire_id} within {timeout:g} s"
        raise EventTimeout(*self._diagnose(source, fire_id, started, head))

    def _handled_without_item(self, source: str, fire_id: str) -> bool:
        """True when every invocation that carried the event returned without error and
        nothing was stored: no source delivers a handled event again, so no item can come.
        False whenever the emulator keeps no ledger (LocalStack, a real account)."""
        if not self.ledger.all_handled(fire_id):
            return False
        return self.find_item(source, fire_id) is None  # a last look at the whole table

    def find_item(
        self, source: str, fire_id: str, since: str | None = None
    ) -> dict[str, Any] | None:
        """The processor's item for `fire_id`; only items stamped at or after `since`."""
        recent = _recent_filter(since) if since else {}
        with translated("read the events table", self.endpoint):
            items = scan_items(self.aws("dynamodb"), self.names.events_table, **recent)
        matching = [i for i in items if fire_id in json.dumps(i, default=str)]
        preferred = [i for i in matching if i.get("source") == EXPECTED_SOURCE[source]]
        candidates = preferred or matching
        return candidates[0] if candidates else None

    def _invocations(self, started: float) -> list[lambda_logs.Invocation]:
        since = int(started * 1000) - 1000
        return lambda_logs.invocations_since(self.aws("logs"), self.names.function, since)

    def _attach_logs(self, result: FireResult, started: float) -> None:
        assert result.item is not None
        marks = (str(result.item.get("event_id", "")), result.fire_id)
        for _ in range(25):  # the log may land a moment after the item
            for invocation in self._invocations(started):
                if any(invocation.mentions(mark) for mark in marks if mark):
                    result.logs = invocation.lines
                    result.hops_ms = self._hops(invocation, result, started)
                    return
            time.sleep(0.04)

    def _hops(
        self, invocation: lambda_logs.Invocation, result: FireResult, started: float
    ) -> dict[str, float]:
        return {
            "invoked": round(invocation.started_ms - started * 1000, 1),
            "item_visible": result.latency_ms,
        }

    def _diagnose(self, source: str, fire_id: str, started: float, head: str) -> tuple[str, str]:
        invocations = self._invocations(started)
        failed = [inv for inv in invocations if inv.failed]
        if failed:
            errors = "\n".join(failed[-1].error_lines()[-8:])
            return (f"{head}: the function was invoked and failed:\n{errors}",
                    "fix the processor, then `sandbox deploy`")  # fmt: skip
        if not invocations:
            return (f"{head}: the function was not invoked (nothing logged since it was sent)",
                    "run `sandbox deploy` to rewire it; see `sandbox logs aws`")  # fmt: skip
        return (f"{head}: the function ran {len(invocations)} time(s) but wrote no item for it",
                "check the processor's handler for this source")  # fmt: skip

    # -- direct invocation ----------------------------------------------------------------

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with translated("invoke the function", self.endpoint):
            answer = self.aws("lambda").invoke(
                FunctionName=self.names.function, Payload=json.dumps(event).encode(),
                LogType="Tail",
            )  # fmt: skip
        payload = answer["Payload"].read().decode() or "null"
        return {
            "status_code": answer.get("StatusCode"),
            "function_error": answer.get("FunctionError"),
            "result": json.loads(payload),
            "log": _decode_tail(answer.get("LogResult", "")),
        }


def _recent_filter(since: str) -> dict[str, Any]:
    return {
        "FilterExpression": "#t >= :since",
        "ExpressionAttributeNames": {"#t": "timestamp"},
        "ExpressionAttributeValues": {":since": {"S": since}},
    }


def _iso(moment: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")


def post_json(url: str, body: dict[str, Any]) -> tuple[int, str]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the stage URL on loopback
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - loopback
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as err:
        return int(err.code), err.read().decode()


def not_deployed() -> SandboxError:
    return SandboxError("the event processor is not deployed", "run `sandbox deploy` first")


def _decode_tail(encoded: str) -> list[str]:
    import base64

    if not encoded:
        return []
    return base64.b64decode(encoded).decode(errors="replace").splitlines()
