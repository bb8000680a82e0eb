"""The demo's eight steps. Each one calls the same core functions as the CLI and the TUI,
and prints what a person watching should notice."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from sandbox.aws.browse import ddb_scan
from sandbox.aws.deploy import deploy
from sandbox.aws.events import SOURCES, Firer
from sandbox.aws.names import Names
from sandbox.config import Settings
from sandbox.demo.cast import Output
from sandbox.demo.keys import KeyWatcher
from sandbox.labs import loader
from sandbox.labs import workspace as ws
from sandbox.labs.checks.base import Status
from sandbox.labs.lifecycle import start_lab
from sandbox.labs.runner import LabReport
from sandbox.labs.session import grade
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.model import StackStatus, State
from sandbox.stack.render import status_table

LAB = "01-twelve-factor"
LOAD_SECONDS = 1.5  # how long the metric step sends requests
LOAD_CAP = 600  # and at most this many (bounded traffic, loopback only)
BARS = "▁▂▃▄▅▆▇█"
MARKS = {
    Status.PASSED: ("✓", "green"),
    Status.FAILED: ("✗", "red"),
    Status.UNKNOWN: ("?", "yellow"),
}


@dataclass
class Tour:
    out: Output
    keys: KeyWatcher
    pace: float  # seconds of pause after each step (and a third of it between events)

    @property
    def backend(self) -> EmbeddedBackend:
        """Afresh each time: starting a lab points the stack's settings at other code."""
        return EmbeddedBackend(Settings.from_env())

    def aws(self) -> str:
        return self.backend.endpoint("aws")


def start_stack(tour: Tour) -> None:
    seen: dict[str, State] = {}

    def show(status: StackStatus) -> None:
        for name, service in status.services.items():
            if seen.get(name) is not service.state:
                seen[name] = service.state
                tour.out.say(f"  {name:<9} {service.state}", dim=True)

    result = tour.backend.start(progress=show)
    tour.out.say(status_table(result.status))


def deploy_lambda(tour: Tour) -> None:
    result = deploy(tour.aws(), Settings.from_env().lambda_dir)
    for r in result.resources:
        tour.out.say(f"  {r.kind:<18} {r.name:<26} {r.action}")
    tour.out.say(f"  API: {result.stage_url}/events", fg="cyan")


def fire_each(tour: Tour) -> None:
    firer = Firer(tour.aws())
    for source in SOURCES:
        result = firer.fire(source, {"demo": True}, timeout=10.0)
        hops = " → ".join(f"{hop} {ms:.0f} ms" for hop, ms in result.hops_ms.items())
        kind = (result.item or {}).get("event_type", "?")
        tour.out.say(f"  {source:<12} {hops or 'item written'}  ({kind})")
        tour.keys.wait(tour.pace / 3)


def show_item(tour: Tour) -> None:
    table = Names().events_table
    items = ddb_scan(tour.aws(), table)
    tour.out.say(f"  {table} holds {len(items)} items; the newest:")
    newest = {k: v for k, v in items[0].items() if k != "data"} if items else {}
    for line in json.dumps(newest, indent=2, default=str, sort_keys=True).splitlines():
        tour.out.say(f"    {line}", fg="cyan")


def metric_under_load(tour: Tour) -> None:
    app = tour.backend.endpoint("app")
    before = requests_total(app)
    tour.out.say(
        f"  http_requests_total before: {before:.0f}; now {LOAD_SECONDS:g} s of "
        "GET /api/users from 4 threads"
    )
    stop = threading.Event()
    sent: list[int] = []
    workers = [threading.Thread(target=_load, args=(app, stop, sent)) for _ in range(4)]
    for worker in workers:
        worker.start()
    samples = _sample(app, before, stop, tour)
    for worker in workers:
        worker.join()
    after = requests_total(app)
    rates = "".join(BARS[min(len(BARS) - 1, int(r / max(samples) * 7))] for r in samples)
    tour.out.say(
        f"  http_requests_total after: {after:.0f} (+{after - before:.0f})  requests/s {rates}",
        fg="green",
    )


def _sample(app: str, before: float, stop: threading.Event, tour: Tour) -> list[float]:
    """The counter every 0.3 s while the load runs: it moves."""
    samples, last, started = [], before, time.monotonic()
    while time.monotonic() - started < LOAD_SECONDS:
        time.sleep(0.3)
        now = requests_total(app)
        samples.append((now - last) / 0.3)
        tour.out.say(f"    http_requests_total {now:>7.0f}  ({samples[-1]:.0f}/s)")
        last = now
    stop.set()
    return [max(s, 0.0) for s in samples] or [0.0]


def _load(app: str, stop: threading.Event, sent: list[int]) -> None:
    while not stop.is_set() and len(sent) < LOAD_CAP:
        with urllib.request.urlopen(app + "/api/users", timeout=5) as answer:  # noqa: S310 - loopback
            answer.read()
        sent.append(1)


def requests_total(app: str) -> float:
    with urllib.request.urlopen(app + "/metrics", timeout=5) as answer:  # noqa: S310 - loopback
        text = answer.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_requests_total"
    )


def start_lab01(tour: Tour) -> None:
    lab, _ = loader.load(LAB)
    info, switch = start_lab(lab, Settings.from_env(), lambda: tour.backend, force=True)
    tour.out.say(f"  {lab.title}: {len(lab.checks())} checks, {lab.total_points} points")
    tour.out.say(
        f"  the starter copied to {info.workspace}; "
        f"{', '.join(switch.changes) or 'nothing restarted'}"
    )


def grade_starter(tour: Tour) -> None:
    lab, registry = loader.load(LAB)
    report = grade(lab, registry, Settings.from_env(), backend_name="embedded")
    show_report(tour.out, report)
    failed = next((r for r in report.results if r.status is Status.FAILED), None)
    check = lab.find_check(failed.id) if failed else None
    if check is not None and check.hints:
        tour.out.say(f"  hint for {check.id}: {check.hints[0].text}", fg="yellow")


def grade_solution(tour: Tour) -> None:
    lab, registry = loader.load(LAB)
    copied = ws.copy_tree(lab.folder / "solution", ws.workspace_of(lab), force=True)
    tour.out.say(
        f"  the reference solution copied over the workspace ({len(copied.copied)} "
        "files); the app restarts on it"
    )
    show_report(tour.out, grade(lab, registry, Settings.from_env(), backend_name="embedded"))


def show_report(out: Output, report: LabReport) -> None:
    for result in report.results:
        mark, colour = MARKS[result.status]
        message = result.message.splitlines()[0][:90] if result.message else ""
        out.say(f"  {mark} {result.id:<22} {message}", fg=colour)
    out.say(f"  score {report.score}/{report.max_score}", bold=True)


STEPS: tuple[tuple[str, Callable[[Tour], None]], ...] = (
    ("Start the stack: emulator, PostgreSQL, Redis, faults, app", start_stack),
    ("Deploy the Lambda and wire every event source", deploy_lambda),
    ("Fire each event source: the timeline of every event", fire_each),
    ("The processor's item in DynamoDB", show_item),
    ("A metric moving under load", metric_under_load),
    ("Start lab 01: the stack runs the learner's starter code", start_lab01),
    ("Grade the starter: the failures, and a hint", grade_starter),
    ("The solution passes", grade_solution),
)
