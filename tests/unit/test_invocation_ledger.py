"""The emulator's invocation ledger: which invocations carried a text, and whether each one
ended in a way no source retries (the answer `sandbox fire` stops waiting on)."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.aws.clients import REAL_AWS
from sandbox.aws.ledger import SETTLED_SECONDS, InvocationLedger
from sandbox.services.invocation_ledger import KEPT, Ledger

FUNCTION = {"config": {"FunctionName": "processor"}}


def run(ledger: Ledger, event: dict[str, Any], result: Any, func: Any = FUNCTION) -> None:
    ledger.wrap(lambda _func, _event: result)(func, event)


def outcome(ledger: Ledger, mark: str = "fire-1") -> bool | None:
    [invocation] = ledger.carrying(mark)
    return invocation.ok


def test_a_normal_return_is_handled_and_found_by_a_text_the_event_carried() -> None:
    ledger = Ledger()
    run(ledger, {"Records": [{"body": '{"fire_id": "fire-1"}'}]}, {"body": {"ignored": "sqs"}})

    [invocation] = ledger.carrying("fire-1")

    assert (invocation.function, invocation.ok) == ("processor", True)
    assert invocation.ended is not None
    assert invocation.ended >= invocation.started
    assert ledger.carrying("fire-2") == []


@pytest.mark.parametrize(
    "result",
    [
        {"error": True, "body": {"errorMessage": "boom"}},
        {"throttle": True, "body": {}},
        {"body": {"batchItemFailures": [{"itemIdentifier": "m-1"}]}},
        {"body": '{"batchItemFailures": [{"itemIdentifier": "m-1"}]}'},
    ],
    ids=["error", "throttle", "partial-batch", "partial-batch-as-text"],
)
def test_endings_a_source_retries_are_not_handled(result: dict[str, Any]) -> None:
    ledger = Ledger()
    run(ledger, {"fire_id": "fire-1"}, result)
    assert outcome(ledger) is False


def test_an_empty_partial_batch_response_is_handled() -> None:
    ledger = Ledger()
    run(ledger, {"fire_id": "fire-1"}, {"body": {"batchItemFailures": []}})
    assert outcome(ledger) is True


def test_an_executor_that_raises_is_recorded_as_failed_and_the_error_still_propagates() -> None:
    ledger = Ledger()

    def explode(_func: Any, _event: Any) -> Any:
        raise RuntimeError("executor broke")

    with pytest.raises(RuntimeError, match="executor broke"):
        ledger.wrap(explode)(FUNCTION, {"fire_id": "fire-1"})
    assert outcome(ledger) is False


def test_an_invocation_still_running_has_no_ending_yet() -> None:
    ledger, release = Ledger(), threading.Event()
    running = threading.Thread(
        target=ledger.wrap(lambda _f, _e: release.wait(5) and {"body": None}),
        args=(FUNCTION, {"fire_id": "fire-1"}),
    )
    running.start()
    try:
        assert _eventually(lambda: ledger.carrying("fire-1"))
        [invocation] = ledger.carrying("fire-1")
        assert (invocation.ok, invocation.ended) == (None, None)
    finally:
        release.set()
        running.join(5)
    assert outcome(ledger) is True


def test_invocations_of_every_function_count_when_one_hands_the_event_on() -> None:
    ledger = Ledger()
    run(ledger, {"fire_id": "fire-1"}, {"body": None})
    run(ledger, {"forwarded": "fire-1"}, {"body": None}, {"FunctionName": "store"})
    assert [i.function for i in ledger.carrying("fire-1")] == ["processor", "store"]


def test_only_the_latest_invocations_are_kept() -> None:
    ledger = Ledger()
    for n in range(KEPT + 5):
        run(ledger, {"fire_id": f"fire-{n}-"}, {"body": None})
    assert ledger.carrying("fire-0-") == []
    assert len(ledger.carrying(f"fire-{KEPT + 4}-")) == 1


class Answers:
    """A loopback server standing in for the emulator's ledger endpoint: it answers every GET
    with `body` (None: 404, as an emulator without a ledger does)."""

    def __init__(self) -> None:
        self.body: dict[str, Any] | None = None
        answers = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if answers.body is None:
                    self.send_error(404)
                    return
                raw = json.dumps(answers.body).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def answers() -> Iterator[Answers]:
    served = Answers()
    thread = threading.Thread(
        target=served.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield served
    finally:
        served.server.shutdown()
        served.server.server_close()


def carried(ended_ago: float | None, ok: bool | None = True) -> dict[str, Any]:
    """An invocation as the endpoint shows it, ended `ended_ago` seconds before now."""
    now = time.time()
    ended = None if ended_ago is None else now - ended_ago
    return {"function": "processor", "started": now - 3, "ended": ended, "ok": ok}


SETTLED = SETTLED_SECONDS + 0.5


@pytest.mark.parametrize(
    ("endings", "handled"),
    [
        ([], False),  # not invoked yet
        ([(SETTLED, True)], True),
        ([(0.1, True)], False),  # a function that hands the event on has not had time to
        ([(SETTLED, True), (None, None)], False),  # one still runs
        ([(SETTLED, False)], False),  # it will be delivered again
    ],
    ids=["none", "settled", "just-ended", "one-running", "failed"],
)
def test_an_event_is_all_handled_only_once_every_carrier_returned_well_and_settled(
    answers: Answers, endings: list[tuple[float | None, bool | None]], handled: bool
) -> None:
    # the times are taken now, not when the parameters were collected
    answers.body = {"invocations": [carried(ago, ok) for ago, ok in endings]}
    assert InvocationLedger(answers.url).all_handled("fire-1") is handled


def test_an_emulator_without_a_ledger_turns_the_questions_off(answers: Answers) -> None:
    client = InvocationLedger(answers.url)
    assert client.carrying("fire-1") == []
    assert client.available is False
    answers.body = {"invocations": [carried(SETTLED)]}
    assert client.all_handled("fire-1") is False  # not asked again


def test_real_aws_is_never_asked() -> None:
    assert InvocationLedger(REAL_AWS).available is False


def _eventually(probe: Any, tries: int = 100) -> Any:
    for _ in range(tries):
        if found := probe():
            return found
        time.sleep(0.02)
    return None
