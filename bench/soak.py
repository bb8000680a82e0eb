"""Soak: mixed app traffic and events from all six sources while services die in turn.

Starts its own embedded stack in a temporary SANDBOX_HOME on free ports, deploys the event
processor, then for `--seconds` (default 60) runs a few app worker threads (create, replace,
patch, delete, list and get users) and a few event threads (s3, sqs, sns, eventbridge,
dynamodb, api in turn, through the emulator's own delivery paths). Meanwhile every `--every`
seconds the supervisor's own stop_service/start_service takes one service down for `--down`
seconds, in turn: postgres, redis, aws, app. Afterwards, once every service is healthy again,
it checks that every write the app acknowledged (2xx) is still there with its values, and
that every event whose send succeeded has its item in the processor's table. The stack is
stopped and deleted in a `finally`, also on Ctrl-C. Prints one JSON object; progress goes
to stderr. A benchmark, not a test: it never asserts and exits 0 after printing; it exits 1
with a one-line message on stderr when the stack cannot start.

    .venv/bin/python bench/soak.py [--seconds 60] [--every 10] [--down 3]

Counting rules, so that nothing is hidden and nothing is blamed twice:
- A 5xx counts as "in a window" when it happened between the stop request and `--grace`
  seconds after start_service returned; an app that answers nothing (refused, reset,
  timed out) is "unreachable", not 5xx.
- A write answered 5xx or not at all may or may not have been applied: its user is retired
  (no more writes), and the check accepts the acknowledged state or the unacknowledged one.
- An event whose send raised (the client saw the failure) is "send_failed", not lost.
  Per source, `first_lost_after_fault` and `recorded_after_first_lost` tell a source that
  broke at a fault (records nothing after it) from one that lost a few in-flight events.
- After the reset, any process of this stack still alive is listed in `cleanup` and then
  ended by PID (only processes this run saw, or whose command line names its state dir).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import machine  # bench/machine.py: the script's own folder is on sys.path
import psutil
import psycopg2

from sandbox.aws.browse import scan_items
from sandbox.aws.clients import client, translated
from sandbox.aws.deploy import deploy
from sandbox.aws.events import SOURCES, Firer
from sandbox.aws.names import Names
from sandbox.config import Settings
from sandbox.errors import SandboxError
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.specs import free_port_variables

FAULTED = ("postgres", "redis", "aws", "app")  # the order faults take
USERS_PATH = "/api/users"
REQUEST_TIMEOUT = 10.0  # seconds; a stalled request shows as unreachable (timeout)
APP_PAUSE = 0.05  # seconds between one worker's requests: a steady trickle, not a flood
EVENT_PAUSE = 0.15
HEALTHY_TIMEOUT = 60.0  # after the run, for every service to be healthy again
VERIFY_ATTEMPTS = 5  # per user: the app may still answer 5xx for a moment after the run
SWEEP_WAIT = 5.0  # seconds leftovers get to exit on their own before we end them
CAP = 20  # detail lists in the JSON are cut to this many entries
FIRE_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
# The request mix as weights: writes 60 % (mostly creates, so there is always a user to
# change), reads 40 %.
OPERATIONS = (("post", 30), ("put", 10), ("patch", 12), ("delete", 8), ("list", 20), ("get", 20))


class BenchError(Exception):
    """The stack could not be measured; the message is for the user, no traceback."""


def log(message: str) -> None:
    print(f"soak: {message}", file=sys.stderr, flush=True)


def one_line(err: BaseException) -> str:
    text = err.render() if isinstance(err, SandboxError) else f"{type(err).__name__}: {err}"
    return " | ".join(line.strip() for line in text.splitlines() if line.strip())[:300]


# -- the clock and the fault windows ------------------------------------------------------


class Clock:
    """Seconds since the load started: every timestamp in the JSON uses this origin."""

    def __init__(self) -> None:
        self.origin = time.monotonic()

    def now(self) -> float:
        return round(time.monotonic() - self.origin, 2)


@dataclass
class Window:
    """One service taken down and brought back (seconds on the soak clock)."""

    service: str
    stop_requested_s: float
    stopped_s: float | None = None
    start_requested_s: float | None = None
    healthy_s: float | None = None
    error: str = ""

    @property
    def label(self) -> str:
        """Tells two windows of one service apart (postgres goes down twice in 60 s)."""
        return f"{self.service}@{self.stop_requested_s:.0f}s"

    def covers(self, moment: float, grace: float, before: float = 0.0) -> bool:
        # A window still open (healthy_s None) covers everything after its stop request.
        end = float("inf") if self.healthy_s is None else self.healthy_s + grace
        return self.stop_requested_s - before <= moment <= end


def window_of(windows: Iterable[Window], moment: float, grace: float, before: float = 0.0) -> str:
    """The label of the down window that covers `moment`, or "" when none does."""
    for window in windows:
        if window.covers(moment, grace, before):
            return window.label
    return ""


def last_fault_before(windows: Iterable[Window], moment: float) -> str:
    """The label of the latest window that began before `moment` ("" before any fault)."""
    began = [window for window in windows if window.stop_requested_s <= moment]
    return began[-1].label if began else ""


# -- the stack ----------------------------------------------------------------------------


def bench_settings(home: Path) -> Settings:
    # Keep the caller's other SANDBOX_* (e.g. SANDBOX_POSTGRES_BIN_DIR); override home and ports.
    env = {**os.environ, "SANDBOX_HOME": str(home), "SANDBOX_BACKEND": "embedded"}
    return Settings.from_env({**env, **free_port_variables()})


def start_and_deploy(stack: EmbeddedBackend) -> dict[str, float]:
    began = time.perf_counter()
    try:
        stack.start()
        started = time.perf_counter()
        deploy(stack.endpoint("aws"), stack.settings.lambda_dir)
    except SandboxError as err:
        raise BenchError(one_line(err)) from err
    return {
        "start_s": round(started - began, 2),
        "deploy_s": round(time.perf_counter() - started, 2),
    }


def wait_all_healthy(stack: EmbeddedBackend, timeout: float) -> float | None:
    """Seconds until every service is healthy again, or None when it did not happen."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if stack.status().all_healthy:
            return round(time.monotonic() - began, 2)
        time.sleep(0.2)
    return None


def inject_faults(
    stack: EmbeddedBackend, clock: Clock, args: argparse.Namespace, tracker: Tracker
) -> list[Window]:
    """Stop one service every `args.every` seconds, in turn; return the down windows. No
    fault starts unless the service can be back before the load ends."""
    windows: list[Window] = []
    turn = 0
    while (turn + 1) * args.every < args.seconds - args.down:
        sleep_until(clock, (turn + 1) * args.every)
        windows.append(take_down(stack, clock, FAULTED[turn % len(FAULTED)], args.down))
        tracker.note(stack)  # the restarted service has a new pid
        turn += 1
    return windows


def sleep_until(clock: Clock, moment: float) -> None:
    delay = moment - (time.monotonic() - clock.origin)
    if delay > 0:
        time.sleep(delay)


def take_down(stack: EmbeddedBackend, clock: Clock, service: str, down: float) -> Window:
    window = Window(service, clock.now())
    log(f"{window.stop_requested_s:6.1f} s  stopping {service}")
    try:
        stack.stop_service(service)
        window.stopped_s = clock.now()
        time.sleep(down)
    except SandboxError as err:
        window.error = f"stop_service: {one_line(err)}"
    finally:  # always ask for it back: a service left paused would spoil the rest of the run
        window.start_requested_s = clock.now()
        try:
            stack.start_service(service)
            window.healthy_s = clock.now()
        except SandboxError as err:
            window.error += f" start_service: {one_line(err)}"
    log(f"{clock.now():6.1f} s  {service} back ({window.error or 'healthy'})")
    return window


# -- app traffic --------------------------------------------------------------------------


@dataclass
class Answer:
    status: int | None  # None: no HTTP answer at all
    body: Any = None
    failure: str = ""  # why there was no answer: refused, reset, timeout, ...


def request(base: tuple[str, int], method: str, path: str, body: Any = None) -> Answer:
    """One request on a fresh connection: a stale keep-alive socket would look like an
    outage, and a retried write on one would be ambiguous."""
    conn = http.client.HTTPConnection(*base, timeout=REQUEST_TIMEOUT)
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException) as err:
        return Answer(None, failure=failure_kind(err))
    finally:
        conn.close()
    return Answer(response.status, parse_body(raw))


def failure_kind(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "timeout"
    if isinstance(err, ConnectionRefusedError):
        return "refused"
    if isinstance(err, ConnectionResetError | http.client.RemoteDisconnected | BrokenPipeError):
        return "reset"
    return type(err).__name__


def parse_body(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


@dataclass
class User:
    """One user, written by exactly one worker (so its writes never race each other)."""

    id: int
    acked: tuple[str, str] | None  # (email, name) last acknowledged; None: deletion acked
    acked_writes: int = 1  # the create
    last_acked_s: float = 0.0
    maybe: list[tuple[str, str] | None] = field(default_factory=list)  # unacknowledged writes
    retired: bool = False  # an unacknowledged write happened: no more writes to it


@dataclass
class AppTally:
    """What the app workers saw; one lock guards it."""

    requests: int = 0
    by_class: Counter[str] = field(default_factory=Counter)
    writes_2xx: Counter[str] = field(default_factory=Counter)
    unexpected_4xx: Counter[str] = field(default_factory=Counter)
    errors_5xx: list[dict[str, Any]] = field(default_factory=list)
    unreachable: list[dict[str, Any]] = field(default_factory=list)
    stale_reads: list[dict[str, Any]] = field(default_factory=list)
    unacked_creates: list[str] = field(default_factory=list)  # emails, maybe in the table
    users: list[User] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class AppWorker(threading.Thread):
    """Sends a mix of reads and writes until `stop` is set, recording every outcome."""

    def __init__(
        self,
        index: int,
        base: tuple[str, int],
        tally: AppTally,
        clock: Clock,
        stop: threading.Event,
        tag: str,
    ) -> None:
        super().__init__(name=f"app-{index}", daemon=True)
        self.base, self.tally, self.clock, self.stop = base, tally, clock, stop
        self.prefix = f"soak-{tag}-{index}"
        self.users: list[User] = []
        self.sent = 0
        self.random = random.Random(index)  # reproducible mix per worker
        self.actions: dict[str, Callable[[], None]] = {
            "post": self.post,
            "put": self.put,
            "patch": self.patch,
            "delete": self.delete,
            "list": self.list,
            "get": self.get,
        }

    def run(self) -> None:
        names = [name for name, _ in OPERATIONS]
        weights = [weight for _, weight in OPERATIONS]
        while not self.stop.is_set():
            self.actions[self.random.choices(names, weights)[0]]()
            self.stop.wait(APP_PAUSE)
        with self.tally.lock:
            self.tally.users.extend(self.users)

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        began = self.clock.now()
        answer = request(self.base, method, path, body)
        self.count(method, answer, began)
        return answer

    def count(self, method: str, answer: Answer, began: float) -> None:
        what = {"at_s": began, "method": method}
        with self.tally.lock:
            self.tally.requests += 1
            if answer.status is None:
                self.tally.by_class["unreachable"] += 1
                self.tally.unreachable.append({**what, "kind": answer.failure})
                return
            self.tally.by_class[f"{answer.status // 100}xx"] += 1
            if answer.status >= 500:
                self.tally.errors_5xx.append({**what, "status": answer.status})
            elif answer.status >= 400:
                self.tally.unexpected_4xx[f"{method} {answer.status}"] += 1
            elif method != "GET":
                self.tally.writes_2xx[method] += 1

    def writable(self) -> User | None:
        live = [u for u in self.users if u.acked is not None and not u.retired]
        return self.random.choice(live) if live else None

    def email(self) -> str:
        self.sent += 1
        return f"{self.prefix}-{self.sent}@example.org"

    def post(self) -> None:
        state = (self.email(), f"Soak {self.sent}")
        answer = self.call("POST", USERS_PATH, {"email": state[0], "name": state[1]})
        if answer.status == 201 and isinstance(answer.body, dict):
            self.users.append(User(int(answer.body["id"]), state, last_acked_s=self.clock.now()))
        elif answer.status is None or answer.status >= 500:
            with self.tally.lock:  # maybe created: looked up by email at the end
                self.tally.unacked_creates.append(state[0])

    def put(self) -> None:
        user = self.writable()
        if user is not None and user.acked is not None:
            state = (self.email(), f"Replaced {self.sent}")
            body = {"email": state[0], "name": state[1]}
            self.settle(user, state, self.call("PUT", f"{USERS_PATH}/{user.id}", body))

    def patch(self) -> None:
        user = self.writable()
        if user is not None and user.acked is not None:
            self.sent += 1
            state = (user.acked[0], f"Patched {self.sent}")
            body = {"name": state[1]}
            self.settle(user, state, self.call("PATCH", f"{USERS_PATH}/{user.id}", body))

    def delete(self) -> None:
        user = self.writable()
        if user is not None:
            self.settle(user, None, self.call("DELETE", f"{USERS_PATH}/{user.id}"))

    def settle(self, user: User, state: tuple[str, str] | None, answer: Answer) -> None:
        """Record a write's outcome on its user; an unclear outcome retires the user."""
        if answer.status is not None and 200 <= answer.status < 300:
            user.acked, user.acked_writes = state, user.acked_writes + 1
            user.last_acked_s = self.clock.now()
        elif answer.status is None or answer.status >= 500:
            user.maybe.append(state)
            user.retired = True

    def list(self) -> None:
        self.call("GET", f"{USERS_PATH}?limit=20")

    def get(self) -> None:
        settled = [u for u in self.users if u.acked is not None and not u.maybe]
        if not settled:
            return
        user = self.random.choice(settled)
        answer = self.call("GET", f"{USERS_PATH}/{user.id}")
        if answer.status in (200, 404) and observed(answer) != user.acked:
            with self.tally.lock:  # a read that contradicts an acknowledged write
                self.tally.stale_reads.append(
                    {
                        "at_s": self.clock.now(),
                        "id": user.id,
                        "expected": user.acked,
                        "got": observed(answer),
                    }
                )


def observed(answer: Answer) -> tuple[str, str] | None:
    """The (email, name) an answer shows; None for 404 (absent)."""
    if answer.status != 200 or not isinstance(answer.body, dict):
        return None
    return (str(answer.body.get("email")), str(answer.body.get("name")))


# -- events -------------------------------------------------------------------------------


@dataclass
class Sent:
    fire_id: str
    source: str
    at_s: float  # when the send began
    done_s: float  # when the client saw it succeed (a retried send spans an outage)


@dataclass
class EventTally:
    sent: list[Sent] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    turn: int = 0

    def next_source(self) -> str:
        with self.lock:
            self.turn += 1
            return SOURCES[(self.turn - 1) % len(SOURCES)]


def senders(firer: Firer) -> dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]]:
    """Firer's one-event senders: each sends and returns at once, without waiting for the
    item (Firer.fire would block on its table scan)."""
    return {
        "s3": firer._send_s3,
        "sqs": firer._send_sqs,
        "sns": firer._send_sns,
        "eventbridge": firer._send_eventbridge,
        "dynamodb": firer._send_dynamodb,
        "api": firer._send_api,
    }


class EventWorker(threading.Thread):
    """Fires events, round-robin over the six sources, until `stop` is set."""

    def __init__(
        self,
        index: int,
        firer: Firer,
        tally: EventTally,
        clock: Clock,
        stop: threading.Event,
        tag: str,
    ) -> None:
        super().__init__(name=f"events-{index}", daemon=True)
        self.firer, self.tally, self.clock, self.stop, self.tag = firer, tally, clock, stop, tag
        self.send = senders(firer)

    def run(self) -> None:
        while not self.stop.is_set():
            self.fire(self.tally.next_source())
            self.stop.wait(EVENT_PAUSE)

    def fire(self, source: str) -> None:
        fire_id, began = uuid.uuid4().hex, self.clock.now()
        try:
            with translated(f"send a {source} event", self.firer.endpoint):
                self.send[source](fire_id, {"fire_id": fire_id, "soak": self.tag})
        except Exception as err:  # any failure the client saw (botocore, urllib, socket)
            with self.tally.lock:
                self.tally.failed.append(
                    {
                        "at_s": began,
                        "done_s": self.clock.now(),
                        "source": source,
                        "fire_id": fire_id,
                        "error": one_line(err),
                    }
                )
            return
        with self.tally.lock:
            self.tally.sent.append(Sent(fire_id, source, began, self.clock.now()))


def warm_up(firer: Firer) -> dict[str, str]:
    """One blocking fire per source: starts the Lambda worker and caches the queue and API
    URLs (so an aws outage cannot fail those lookups); returns the sources that failed."""
    failed = {}
    for source in SOURCES:
        try:
            firer.fire(source, timeout=15)
        except SandboxError as err:
            failed[source] = one_line(err)
    return failed


def recorded_fire_ids(endpoint: str, names: Names) -> set[str]:
    """Every fire id that appears anywhere in the processor's items (one full scan)."""
    with translated("scan the events table", endpoint):
        items = scan_items(client("dynamodb", endpoint), names.events_table)
    return set(FIRE_ID.findall(json.dumps(items, default=str)))


def wait_for_events(endpoint: str, names: Names, wanted: set[str], timeout: float) -> set[str]:
    """Poll (bounded) until every wanted fire id is recorded; return every fire id the last
    scan saw (also those of failed sends, which are not waited for)."""
    deadline, found = time.monotonic() + timeout, set[str]()
    while True:
        try:
            found = recorded_fire_ids(endpoint, names)
        except SandboxError as err:
            log(f"scanning the events table failed, retrying: {one_line(err)}")
        if found >= wanted or time.monotonic() >= deadline:
            return found
        time.sleep(1.0)


# -- checking the app's writes ------------------------------------------------------------


def final_state(base: tuple[str, int], user_id: int) -> tuple[bool, tuple[str, str] | None]:
    """(answered, state) of one user through the API, retrying while it answers 5xx."""
    for _ in range(VERIFY_ATTEMPTS):
        answer = request(base, "GET", f"{USERS_PATH}/{user_id}")
        if answer.status in (200, 404):
            return True, observed(answer)
        time.sleep(0.5)
    return False, None


def db_rows(url: str, ids: list[int], emails: list[str]) -> tuple[dict[int, Any], int]:
    """PostgreSQL's own view: (email, name) by id, and how many unacknowledged creates exist."""
    with psycopg2.connect(url, connect_timeout=5) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, email, name FROM users WHERE id = ANY(%s)", (ids,))
        rows = {int(row[0]): (str(row[1]), str(row[2])) for row in cur.fetchall()}
        cur.execute("SELECT count(*) FROM users WHERE email = ANY(%s)", (emails,))
        applied = int(cur.fetchone()[0])  # type: ignore[index]
    conn.close()
    return rows, applied


def missing_writes(user: User, state: tuple[str, str] | None) -> int:
    """How many of the user's acknowledged writes the final state fails to show."""
    if state == user.acked or state in user.maybe:
        return 0
    if state is None and user.acked is not None:
        return user.acked_writes  # gone: the create and every acknowledged update with it
    return 1  # there, but not as last acknowledged (an update lost, or a delete undone)


def verify_writes(base: tuple[str, int], db_url: str, tally: AppTally) -> dict[str, Any]:
    lost, unanswered, lost_in_db = 0, 0, 0
    details: list[dict[str, Any]] = []
    try:
        rows, applied = db_rows(db_url, [u.id for u in tally.users], tally.unacked_creates)
    except psycopg2.Error as err:
        rows, applied = {}, -1
        log(f"reading PostgreSQL directly failed: {one_line(err)}")
    for user in tally.users:
        answered, state = final_state(base, user.id)
        unanswered += not answered
        missing = missing_writes(user, state) if answered else 0
        lost += missing
        lost_in_db += bool(rows) and missing_writes(user, rows.get(user.id)) > 0
        if missing and len(details) < CAP:
            details.append(
                {
                    "id": user.id,
                    "expected": user.acked,
                    "got": state,
                    "last_acked_s": user.last_acked_s,
                }
            )
    return {
        "writes_2xx_missing": lost,
        "users_checked": len(tally.users),
        "users_unverifiable": unanswered,
        "users_missing_in_db": lost_in_db if rows else None,
        "missing": details,
        "unacked_creates": len(tally.unacked_creates),
        "unacked_creates_applied": applied if applied >= 0 else None,
    }


def list_consistent(base: tuple[str, int], db_url: str) -> bool | None:
    """Does the (cached) list page match PostgreSQL now that writes have stopped? A stale
    page here means a write's invalidation was lost."""
    answer = request(base, "GET", f"{USERS_PATH}?limit=100")
    if answer.status != 200 or not isinstance(answer.body, dict):
        return None
    with psycopg2.connect(db_url, connect_timeout=5) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM users ORDER BY created_at DESC, id DESC LIMIT 100")
        ids = [int(row[0]) for row in cur.fetchall()]
    conn.close()
    return [int(item["id"]) for item in answer.body.get("items", [])] == ids


# -- the report ---------------------------------------------------------------------------


def by_window(entries: list[dict[str, Any]], windows: list[Window], grace: float) -> dict[str, Any]:
    """Count entries per down window (by service) and outside any window, with when."""
    groups: dict[str, list[float]] = {}
    outside = []
    for entry in entries:
        where = window_of(windows, entry["at_s"], grace) or "outside"
        groups.setdefault(where, []).append(entry["at_s"])
        if where == "outside":
            outside.append(entry)
    return {
        "count": len(entries),
        "by_window": {
            where: {"count": len(times), "first_s": min(times), "last_s": max(times)}
            for where, times in groups.items()
        },
        "per_second": per_second(entries),
        "outside_windows": outside[:CAP],
    }


def per_second(entries: list[dict[str, Any]]) -> dict[str, int]:
    """How many entries fell in each whole second of the soak clock: the timeline, short."""
    counts = Counter(int(entry["at_s"]) for entry in entries)
    return {str(second): counts[second] for second in sorted(counts)}


def app_report(tally: AppTally, windows: list[Window], grace: float) -> dict[str, Any]:
    unreachable = by_window(tally.unreachable, windows, grace)
    unreachable["by_kind"] = dict(Counter(entry["kind"] for entry in tally.unreachable))
    errors = by_window(tally.errors_5xx, windows, grace)
    errors["by_status"] = dict(Counter(str(entry["status"]) for entry in tally.errors_5xx))
    return {
        "requests": tally.requests,
        "by_class": dict(tally.by_class),
        "writes_2xx": sum(tally.writes_2xx.values()),
        "writes_2xx_by_method": dict(tally.writes_2xx),
        "5xx": errors,
        "unreachable": unreachable,
        "unexpected_4xx": dict(tally.unexpected_4xx),
        "stale_reads": len(tally.stale_reads),
        "stale_reads_sample": tally.stale_reads[:CAP],
    }


def event_report(
    tally: EventTally, recorded: set[str], failed_recorded: int, windows: list[Window]
) -> dict[str, Any]:
    lost = [s for s in tally.sent if s.fire_id not in recorded]
    # A loss is blamed on a window when sent from 2 s before the stop until 2 s after the
    # service was back: events in flight when the emulator stops are the suspects.
    near = Counter(window_of(windows, s.at_s, 2.0, before=2.0) or "outside" for s in lost)
    return {
        "fired": len(tally.sent) + len(tally.failed),
        "send_failed": len(tally.failed),
        "sent": len(tally.sent),
        "recorded": len(tally.sent) - len(lost),
        "lost": len(lost),
        "send_failed_but_recorded": failed_recorded,
        "by_source": {src: source_report(tally, src, recorded, windows) for src in SOURCES},
        "lost_during_windows": dict(near),
        "lost_sample": [
            {**asdict(s), "after_fault": last_fault_before(windows, s.at_s)} for s in lost[:CAP]
        ],
        "send_failed_by_window": dict(
            Counter(window_of(windows, f["at_s"], 2.0) or "outside" for f in tally.failed)
        ),
        "send_failed_sample": tally.failed[:5],
    }


def source_report(
    tally: EventTally, source: str, recorded: set[str], windows: list[Window]
) -> dict[str, Any]:
    """One source's counts, and when its losses began: a source that records nothing after
    its first loss is broken from then on, not unlucky in one window."""
    sent = sorted((s for s in tally.sent if s.source == source), key=lambda s: s.at_s)
    lost = [s for s in sent if s.fire_id not in recorded]
    report: dict[str, Any] = {
        "sent": len(sent),
        "recorded": len(sent) - len(lost),
        "lost": len(lost),
        "send_failed": sum(f["source"] == source for f in tally.failed),
    }
    if lost:
        first = lost[0].at_s
        report["first_lost_s"], report["last_lost_s"] = first, lost[-1].at_s
        report["first_lost_after_fault"] = last_fault_before(windows, first)
        report["recorded_after_first_lost"] = sum(
            s.at_s > first and s.fire_id in recorded for s in sent
        )
    return report


def goals(app: dict[str, Any], events: dict[str, Any]) -> dict[str, bool]:
    return {
        "no_acked_write_lost": app["writes_2xx_missing"] == 0 and app["users_unverifiable"] == 0,
        "no_event_lost": events["lost"] == 0,
        "no_5xx_outside_down_windows": "outside" not in app["5xx"]["by_window"],
    }


# -- leftovers ----------------------------------------------------------------------------


class Tracker:
    """Every process of our stack seen during the run (pid -> create time), to prove after
    the reset that none survived; only ours: other stacks may run on this machine."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.seen: dict[int, float] = {}
        self.markers = [str(home)]

    def note(self, stack: EmbeddedBackend) -> None:
        status = stack.status()
        for pid in [status.supervisor_pid, *(s.pid for s in status.services.values())]:
            self.note_tree(pid)
        pointer = self.home / "postgres" / "data-location"  # as root, data lives elsewhere
        if pointer.exists() and pointer.read_text().strip() not in self.markers:
            self.markers.append(pointer.read_text().strip())

    def note_tree(self, pid: int | None) -> None:
        if pid is None:
            return
        try:
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                self.seen[proc.pid] = proc.create_time()
        except psutil.Error:
            return

    def leftovers(self) -> list[str]:
        """Seen processes still alive, and any process that mentions our state paths."""
        left = {pid for pid, created in self.seen.items() if same_process(pid, created)}
        for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
            text = " ".join(proc.info["cmdline"] or []) + " " + (proc.info["cwd"] or "")
            if proc.pid != os.getpid() and any(marker in text for marker in self.markers):
                left.add(proc.pid)
        return [describe(pid) for pid in sorted(left)]

    def sweep(self) -> dict[str, Any]:
        """After the reset: what survived it (a Lambda worker mid-invocation outlives the
        emulator, orphaned, for up to ~40 s), then end those by PID so nothing is left."""
        left = self.leftovers()
        deadline = time.monotonic() + SWEEP_WAIT
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.5)  # give them a moment to exit by themselves
        for entry in self.leftovers():
            terminate(int(entry.split()[0]))
        return {
            "processes_tracked": len(self.seen),
            "processes_left_after_reset": left,
            "processes_left_after_sweep": self.leftovers(),
            "state_removed": not any(Path(marker).exists() for marker in self.markers),
        }


def terminate(pid: int) -> None:
    """SIGTERM, then SIGKILL, one process of ours (found by PID, never by name)."""
    try:
        proc = psutil.Process(pid)
        proc.terminate()
        proc.wait(5)
    except psutil.TimeoutExpired:
        proc.kill()
    except psutil.Error:
        return


def same_process(pid: int, created: float) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and proc.create_time() == created
    except psutil.Error:
        return False


def describe(pid: int) -> str:
    try:
        return f"{pid} {' '.join(psutil.Process(pid).cmdline())[:120]}"
    except psutil.Error:
        return str(pid)


# -- the run ------------------------------------------------------------------------------


@dataclass
class Run:
    """What the load phase leaves for the checks."""

    apps: AppTally
    events: EventTally
    windows: list[Window]
    duration_s: float
    warm_up_failed: dict[str, str]
    base: tuple[str, int]
    endpoint: str
    names: Names


def base_of(url: str) -> tuple[str, int]:
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    return host, int(port.rstrip("/"))


def run_load(stack: EmbeddedBackend, args: argparse.Namespace, tracker: Tracker) -> Run:
    endpoint, names, tag = stack.endpoint("aws"), Names(), uuid.uuid4().hex[:8]
    firer = Firer(endpoint, names)
    warm_failed = warm_up(firer)
    base = base_of(stack.endpoint("app"))
    apps, events, stop, clock = AppTally(), EventTally(), threading.Event(), Clock()
    workers: list[threading.Thread] = [
        *(AppWorker(i, base, apps, clock, stop, tag) for i in range(args.app_threads)),
        *(EventWorker(i, firer, events, clock, stop, tag) for i in range(args.event_threads)),
    ]
    for worker in workers:
        worker.start()
    try:
        windows = inject_faults(stack, clock, args, tracker)
        sleep_until(clock, args.seconds)
    finally:
        stop.set()
        for worker in workers:
            worker.join(REQUEST_TIMEOUT + 35)  # a send may hang up to its client's timeout
    log(f"{clock.now():6.1f} s  load stopped; waiting for every service to be healthy")
    return Run(apps, events, windows, clock.now(), warm_failed, base, endpoint, names)


def check_events(run: Run, wait: float) -> dict[str, Any]:
    events = run.events
    log(f"waiting up to {wait:g} s for {len(events.sent)} events' items")
    wanted = {s.fire_id for s in events.sent}
    began = time.monotonic()
    found = wait_for_events(run.endpoint, run.names, wanted, wait)
    failed_recorded = sum(f["fire_id"] in found for f in events.failed)
    report = event_report(events, found, failed_recorded, run.windows)
    return {
        **report,
        "waited_s": round(time.monotonic() - began, 1),
        "warm_up_failed": run.warm_up_failed,
    }


def check_app(stack: EmbeddedBackend, run: Run, grace: float) -> dict[str, Any]:
    db_url = stack.endpoint("postgres")
    log("checking acknowledged writes")
    writes = verify_writes(run.base, db_url, run.apps)
    try:
        consistent = list_consistent(run.base, db_url)
    except psycopg2.Error:
        consistent = None
    return {**app_report(run.apps, run.windows, grace), "list_matches_db": consistent, **writes}


def check(stack: EmbeddedBackend, run: Run, args: argparse.Namespace) -> dict[str, Any]:
    healthy_after = wait_all_healthy(stack, HEALTHY_TIMEOUT)
    app = check_app(stack, run, args.grace)
    events = check_events(run, args.event_wait)
    met = goals(app, events)
    return {
        "seconds": args.seconds,
        "duration_s": run.duration_s,
        "faults": {
            "every_s": args.every,
            "down_s": args.down,
            "grace_s": args.grace,
            "windows": [asdict(w) for w in run.windows],
        },
        "healthy_after_s": healthy_after,
        "app": app,
        "events": events,
        "goal_met": met,
        "goal_met_all": all(met.values()),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between faults")
    parser.add_argument("--down", type=float, default=3.0, help="seconds a service stays down")
    parser.add_argument("--grace", type=float, default=2.0, help="5xx allowed after a restart")
    parser.add_argument("--app-threads", type=int, default=3)
    parser.add_argument("--event-threads", type=int, default=2)
    parser.add_argument("--event-wait", type=float, default=30.0, help="max wait for items")
    args = parser.parse_args()
    if args.seconds <= 0 or args.every <= 0 or args.down < 0:
        parser.error("--seconds and --every must be positive, --down not negative")
    return args


def measure(stack: EmbeddedBackend, args: argparse.Namespace, tracker: Tracker) -> dict[str, Any]:
    timings = start_and_deploy(stack)
    tracker.note(stack)
    try:
        result = check(stack, run_load(stack, args, tracker), args)
    finally:
        tracker.note(stack)  # Lambda workers and pool connections started during the run
    return {**result, "stack": timings}


def main() -> int:
    args = parse_args()
    # SIGTERM takes the same way out as Ctrl-C, so the `finally` below always runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    temp = Path(tempfile.mkdtemp(prefix="sandbox-soak-"))
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    tracker = Tracker(temp / "home")
    stack: EmbeddedBackend | None = None
    try:
        stack = EmbeddedBackend(bench_settings(temp / "home"))
        log(f"starting a stack in {temp}")
        result = measure(stack, args, tracker)
    except (BenchError, SandboxError) as err:
        print(f"soak: the stack could not be measured: {one_line(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        log("interrupted; no result")
        return 130
    finally:
        if stack is not None:
            log("stopping and deleting the stack")
            stack.reset()  # stops every process, deletes the state (and PostgreSQL's data)
        shutil.rmtree(temp, ignore_errors=True)
        cleanup = tracker.sweep()
        if cleanup["processes_left_after_reset"]:
            log(f"left after the reset: {cleanup['processes_left_after_reset']}")
    result["cleanup"] = cleanup
    result["context"] = machine.context(began, load_before)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
