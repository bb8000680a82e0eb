"""The TUI's pure parts: metrics from Prometheus text, the event timeline, log lines."""

from __future__ import annotations

import math

from sandbox.aws.events import EventTimeout, FireResult
from sandbox.errors import SandboxError
from sandbox.tui import metrics, timeline
from sandbox.tui.logstyle import level_of, matches, pretty
from sandbox.tui.run import exit_note
from sandbox.tui.source import queue_rows
from sandbox.tui.timeline import HopState
from tests.tui.fake_source import FakeSource

USERS = 'method="GET",route="/api/users",status="200"'
SCRAPE = """# TYPE http_requests_total counter
http_requests_total{method="GET",route="/api/users",status="200"} %(users)s
http_requests_total{method="GET",route="/ready",status="503"} %(errors)s
http_requests_total{method="GET",route="/metrics",status="200"} 500.0
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",%(labels)s} %(fast)s
http_request_duration_seconds_bucket{le="0.1",%(labels)s} %(users)s
http_request_duration_seconds_bucket{le="+Inf",%(labels)s} %(users)s
http_request_duration_seconds_count{%(labels)s} %(users)s
http_request_duration_seconds_sum{%(labels)s} %(seconds)s
# TYPE cache_operations_total counter
cache_operations_total{operation="get",result="hit"} %(hits)s
cache_operations_total{operation="get",result="miss"} 10.0
cache_operations_total{operation="set",result="ok"} 10.0
"""


def scrape(users: float, errors: float, fast: float, seconds: float, hits: float) -> str:
    return SCRAPE % {"users": users, "errors": errors, "fast": fast, "seconds": seconds,
                     "hits": hits, "labels": USERS}  # fmt: skip


def test_parse_leaves_out_the_scrape_route() -> None:
    sample = metrics.parse(scrape(100, 4, 90, 0.5, 30), at=0.0)
    assert sample.requests == 104
    assert sample.errors == 4
    assert sample.cache == {"hit": 30.0, "miss": 10.0}
    assert sample.buckets[math.inf] == 100


def test_tracker_gives_rates_over_the_last_interval() -> None:
    tracker = metrics.Tracker()
    first = tracker.add(metrics.parse(scrape(100, 4, 90, 0.5, 30), at=10.0))
    view = tracker.add(metrics.parse(scrape(120, 6, 100, 0.7, 50), at=12.0))
    assert first.rate == 0.0
    assert view.rate == 11.0  # (20 + 2) requests in 2 s
    assert view.error_rate == 1.0
    assert view.latency_ms is not None
    assert round(view.latency_ms, 3) == 10.0  # 0.2 s / 20
    assert view.p95_ms == 100.0  # 10 of the 20 new requests took more than 5 ms
    assert view.hit_ratio == 50 / 60
    assert view.history["rate"] == (0.0, 11.0)


def test_an_app_restart_does_not_give_negative_rates() -> None:
    tracker = metrics.Tracker()
    tracker.add(metrics.parse(scrape(100, 4, 90, 0.5, 30), at=10.0))
    view = tracker.add(metrics.parse(scrape(3, 0, 3, 0.01, 0), at=11.0))
    assert view.rate == 0.0
    assert view.error_rate == 0.0


def test_an_unavailable_app_keeps_the_history() -> None:
    tracker = metrics.Tracker()
    tracker.add(metrics.parse(scrape(100, 4, 90, 0.5, 30), at=10.0))
    view = tracker.unavailable("the app is not running")
    assert not view.ok
    assert view.history["rate"] == (0.0,)


def record() -> timeline.EventRecord:
    return timeline.pending(1, "s3", at=0.0)


def test_a_fired_event_fills_every_hop() -> None:
    result = FireResult(
        "s3",
        "f1",
        {"action": "s3 put-object", "bucket": "b"},
        {"event_id": "e1"},
        ["START", "END"],
        40.0,
        {"invoked": 25.0, "item_visible": 40.0},
    )
    done = timeline.from_result(record(), result)
    assert [h.state for h in done.hops] == [HopState.OK] * 3
    assert [h.at_ms for h in done.hops] == [0.0, 25.0, 40.0]
    assert done.hops[1].lines == ("START", "END")
    assert done.item == {"event_id": "e1"}
    assert done.done
    assert not done.failed


def test_a_timeout_marks_the_hop_that_did_not_happen() -> None:
    cases = {
        "no item: the function was not invoked (nothing logged)": timeline.INVOKED,
        "no item: the function was invoked and failed:\nKeyError": timeline.INVOKED,
        "no item: the function ran 1 time(s) but wrote no item for it": timeline.ITEM,
    }
    for message, hop in cases.items():
        failed = timeline.from_error(record(), EventTimeout(message, "hint"))
        states = {h.name: h.state for h in failed.hops}
        assert states[hop] is HopState.FAILED, message
        assert states[timeline.SENT] is HopState.OK
        assert "hint" in next(h.detail for h in failed.hops if h.name == hop)


def test_a_send_error_marks_the_send() -> None:
    failed = timeline.from_error(record(), SandboxError("NoSuchBucket", "run `sandbox deploy`"))
    assert [h.state for h in failed.hops] == [HopState.FAILED, HopState.SKIPPED, HopState.SKIPPED]
    assert failed.hops[0].detail == "NoSuchBucket\n  -> run `sandbox deploy`"


def test_an_invoke_with_a_function_error_fails_the_lambda_hop() -> None:
    answer = {"status_code": 200, "function_error": "Unhandled", "result": {"x": 1}, "log": ["a"]}
    done = timeline.from_invoke(timeline.pending(1, "s3", 0.0, "invoke"), answer)
    assert [h.state for h in done.hops] == [HopState.OK, HopState.FAILED]


def test_levels_of_json_and_plain_lines() -> None:
    assert level_of('{"level": "warning", "message": "slow"}') == "WARNING"
    assert level_of('app       | {"levelname": "ERROR", "msg": "x"}') == "ERROR"
    assert level_of("2026-01-01 10:00:00 UTC [12] LOG:  database system is ready") is None
    assert level_of("[2026-01-01 10:00:00 +0000] [7] [INFO] Booting worker") == "INFO"


def test_pretty_json_lines() -> None:
    line = ('{"timestamp": "2026-01-01T10:00:01.5+00:00", "level": "INFO", "logger": "a", '
            '"message": "GET /health 200", "status": 200}')  # fmt: skip
    assert pretty(line) == "10:00:01 INFO    GET /health 200 status=200"
    assert pretty("plain [x] line") == "plain [x] line"
    assert matches(pretty(line), "get /HEALTH")


def test_queue_rows_put_the_dlq_depth_beside_its_queue() -> None:
    rows = queue_rows([
        {"queue": "jobs", "visible": 1, "in_flight": 0, "dead_letter": False},
        {"queue": "jobs-dlq", "visible": 3, "in_flight": 0, "dead_letter": True},
        {"queue": "other", "visible": 0, "in_flight": 2, "dead_letter": False},
    ])  # fmt: skip
    assert [(r.queue, r.dlq_depth) for r in rows] == [("jobs", 3), ("jobs-dlq", None),
                                                     ("other", None)]  # fmt: skip


def test_the_exit_note_says_whether_the_stack_still_runs() -> None:
    source = FakeSource()
    assert "still running" in exit_note(source)
    source.running = False
    assert "stopped" in exit_note(source)
