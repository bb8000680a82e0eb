"""The runner's retries, points and hint costs, and the report formats."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from xml.etree import ElementTree as ET

from sandbox.labs import reports
from sandbox.labs.checks import builtin_registry
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params, Status
from sandbox.labs.model import CheckSpec, Lab
from sandbox.labs.runner import CheckResult, LabReport, batches, run_check, run_lab


def ctx(tmp_path: Path) -> CheckContext:
    return CheckContext(workspace=tmp_path, lab_dir=tmp_path)


def file_check(**extra: object) -> CheckSpec:
    return CheckSpec.model_validate(
        {
            "id": "late-file",
            "kind": "file",
            "title": "a file",
            "points": 10,
            "path": "late.txt",
            **extra,
        }
    )


def test_eventually_retries_until_it_passes(tmp_path: Path) -> None:
    threading.Timer(0.6, (tmp_path / "late.txt").write_text, args=("here",)).start()
    spec = file_check(eventually={"timeout": 5, "interval": 0.1})
    result = run_check(spec, "step", builtin_registry(), ctx(tmp_path))
    assert result.status is Status.PASSED
    assert result.attempts > 1
    assert 0.4 <= result.waited_s <= 2


def test_eventually_gives_up_with_the_last_message(tmp_path: Path) -> None:
    spec = file_check(eventually={"timeout": 0.5, "interval": 0.1})
    started = time.monotonic()
    result = run_check(spec, "step", builtin_registry(), ctx(tmp_path))
    assert result.status is Status.FAILED
    assert "late.txt does not exist" in result.message
    assert 0.5 <= time.monotonic() - started < 2
    assert result.points == 0


def test_hint_costs_come_off_the_points(tmp_path: Path) -> None:
    (tmp_path / "late.txt").write_text("here")
    result = run_check(file_check(), "step", builtin_registry(), ctx(tmp_path), hint_cost=3)
    assert (result.points, result.max_points) == (7, 10)


def test_a_crashing_check_kind_is_unknown_not_a_traceback(tmp_path: Path) -> None:
    registry = builtin_registry()

    def explode(params: Params, context: CheckContext) -> Outcome:
        raise KeyError("oops")

    registry.add(CheckKind("explodes", Params, explode))
    spec = CheckSpec.model_validate({"id": "boom", "kind": "explodes", "title": "boom"})
    result = run_check(spec, "step", registry, ctx(tmp_path))
    assert result.status is Status.UNKNOWN
    assert "the check could not run: KeyError" in result.message


def sample_report() -> LabReport:
    report = LabReport("01-demo", "Demo")
    report.results = [
        CheckResult("ok", "passes", "s1", Status.PASSED, "fine", 5, 5, 0.01, 1),
        CheckResult("bad", "fails", "s1", Status.FAILED, "expected 409, got 500", 0, 10, 0.2, 1),
        CheckResult("odd", "unknown", "s2", Status.UNKNOWN, "redis down", 0, 5, 0.1, 1),
    ]
    return report


def test_exit_codes() -> None:
    report = sample_report()
    assert report.exit_code == 2
    report.results.pop()
    assert report.exit_code == 1
    report.results.pop()
    assert report.exit_code == 0


def test_text_report_shows_failures_and_score() -> None:
    text = reports.render(sample_report(), "text")
    assert "FAIL  bad" in text
    assert "expected 409, got 500" in text
    assert "score 5/20" in text


def test_json_report() -> None:
    data = json.loads(reports.render(sample_report(), "json"))
    assert (data["score"], data["max_score"], data["exit_code"]) == (5, 20, 2)
    failed = data["checks"][1]
    assert (failed["message"], failed["points"], failed["max_points"]) == (
        "expected 409, got 500", 0, 10)  # fmt: skip
    assert failed["duration_s"] == 0.2
    assert {c["id"]: c["status"] for c in data["checks"]} == {
        "ok": "passed", "bad": "failed", "odd": "unknown"}  # fmt: skip


def test_junit_report() -> None:
    suite = ET.fromstring(reports.render(sample_report(), "junit")).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    failure = suite.find("testcase[@name='bad']/failure")
    assert failure is not None
    assert failure.get("message") == "expected 409, got 500"


def test_github_classroom_report() -> None:
    data = json.loads(reports.render(sample_report(), "github"))
    assert data["max_score"] == 20
    assert data["status"] == "error"
    assert [(t["status"], t["score"], t["max_score"]) for t in data["tests"]] == [
        ("pass", 5, 5), ("fail", 0, 10), ("error", 0, 5)]  # fmt: skip


def report_with_an_unreachable_service() -> LabReport:
    report = sample_report()
    message = "could not reach the AWS emulator at http://127.0.0.1:4566 (connection refused)"
    gone = CheckResult("gone", "an aws check", "s2", Status.UNKNOWN, message, 0, 10, 2.0, 3)
    gone.unreachable = "aws"
    report.results.append(gone)
    return report


def test_text_report_tells_checks_that_could_not_run_from_failures() -> None:
    text = reports.render(report_with_an_unreachable_service(), "text")
    assert "score 5/30   1/4 checks passed, 1 failed, 2 could not run" in text
    assert (
        "1 check (10 points) could not run (service unreachable): "
        "run it again when the stack is up (`sandbox status`)"
    ) in text
    assert "1 check (5 points) could not be evaluated: see the ???? lines above" in text


def test_json_report_counts_every_status_and_names_the_unreachable_service() -> None:
    data = json.loads(reports.render(report_with_an_unreachable_service(), "json"))
    assert data["counts"] == {"passed": 1, "failed": 1, "unknown": 2, "unreachable": 1}
    assert [c["unreachable"] for c in data["checks"]] == [None, None, None, "aws"]


def test_junit_report_makes_a_check_that_could_not_run_an_error_not_a_failure() -> None:
    xml = reports.render(report_with_an_unreachable_service(), "junit")
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors")) == ("1", "2")
    gone = suite.find("testcase[@name='gone']/error")
    assert gone is not None
    assert (gone.get("type"), suite.find("testcase[@name='gone']/failure")) == ("unreachable", None)


def test_github_classroom_report_makes_an_unreachable_check_an_error_worth_no_points() -> None:
    data = json.loads(reports.render(report_with_an_unreachable_service(), "github"))
    gone = data["tests"][-1]
    assert (data["status"], gone["status"], gone["score"]) == ("error", "error", 0)


def lab_of(kinds: list[str]) -> Lab:
    checks = [
        {"id": f"c{n}", "kind": kind, "title": kind, "points": 1} for n, kind in enumerate(kinds)
    ]
    return Lab.model_validate(
        {
            "id": "09-demo",
            "title": "Demo",
            "summary": "demo",
            "steps": [{"id": "one", "title": "one", "instructions": "x.md", "checks": checks}],
        }
    )


def test_calm_checks_run_together_and_disruptive_ones_alone_after_them(tmp_path: Path) -> None:
    together = threading.Barrier(2, timeout=10)  # passes only when two calm checks meet
    log: list[str] = []
    lock = threading.Lock()

    def calm(params: Params, context: CheckContext) -> Outcome:
        together.wait()
        with lock:
            log.append("calm")
        return Outcome.passed()

    def disruptive(params: Params, context: CheckContext) -> Outcome:
        with lock:
            log.append("disruptive starts")
        time.sleep(0.05)  # long enough for another one to start, were they run together
        with lock:
            log.append("disruptive ends")
        return Outcome.passed()

    registry = builtin_registry()
    registry.add(CheckKind("calm", Params, calm))
    registry.add(CheckKind("stops-a-service", Params, disruptive, disruptive=True))
    lab = lab_of(["stops-a-service", "calm", "stops-a-service", "calm"])
    report = run_lab(lab, registry, ctx(tmp_path))
    assert [r.id for r in report.results] == ["c0", "c1", "c2", "c3"]  # the lab's order
    assert all(r.status is Status.PASSED for r in report.results)
    assert log == ["calm", "calm"] + ["disruptive starts", "disruptive ends"] * 2


def test_kinds_that_stop_services_are_disruptive() -> None:
    registry = builtin_registry()
    assert registry.kinds["fault"].disruptive
    assert not registry.kinds["http"].disruptive


def test_a_check_marked_alone_runs_after_the_check_before_it_not_with_the_calm_ones(
    tmp_path: Path,
) -> None:
    """breaker-closes needs the breaker breaker-opens left open: order matters."""

    def record(params: Params, context: CheckContext) -> Outcome:
        return Outcome.passed()

    registry = builtin_registry()
    registry.add(CheckKind("opens", Params, record, disruptive=True))
    registry.add(CheckKind("probe", Params, record))
    lab = lab_of(["opens", "probe", "probe"])
    closes = lab.steps[0].checks[1].model_copy(update={"alone": True})
    lab = lab.model_copy(
        update={"steps": [lab.steps[0].model_copy(update={"checks": [
            lab.steps[0].checks[0], closes, lab.steps[0].checks[2]]})]}
    )  # fmt: skip
    order: list[str] = []

    def finished(check: CheckSpec, result: CheckResult | None) -> None:
        if result is not None:
            order.append(check.id)

    report = run_lab(lab, registry, ctx(tmp_path), listener=finished)
    assert order == ["c2", "c0", "c1"]  # the calm probe first; then opens, then closes
    assert all(r.status is Status.PASSED for r in report.results)


def test_consecutive_checks_of_a_batched_kind_run_together_after_the_calm_ones(
    tmp_path: Path,
) -> None:
    """Lab 05's pipeline runs: each on its own copy, so they need not wait for each other,
    but not while a calm check probes the stack they deploy to."""
    three_meet = threading.Barrier(3, timeout=10)  # passes only when three runs meet
    log: list[str] = []
    lock = threading.Lock()

    def note(entry: str) -> Outcome:
        with lock:
            log.append(entry)
        return Outcome.passed()

    def pipeline(params: Params, context: CheckContext) -> Outcome:
        three_meet.wait()
        return note("pipeline")

    registry = builtin_registry()
    registry.add(CheckKind("runs", Params, pipeline, disruptive=True, batched=True))
    registry.add(CheckKind("probe", Params, lambda params, context: note("probe")))
    registry.add(CheckKind("stops", Params, lambda params, context: note("stops"), disruptive=True))
    lab = lab_of(["runs", "probe", "runs", "runs", "stops"])
    report = run_lab(lab, registry, ctx(tmp_path))
    assert all(r.status is Status.PASSED for r in report.results), report.results
    assert log == ["probe", "pipeline", "pipeline", "pipeline", "stops"]


def test_a_batch_ends_at_another_kind_and_at_a_check_marked_alone() -> None:
    registry = builtin_registry()
    registry.add(CheckKind("runs", Params, lambda p, c: Outcome.passed(), disruptive=True,
                           batched=True))  # fmt: skip
    lab = lab_of(["runs", "runs", "fault", "runs", "runs", "runs"])
    checks = lab.checks()
    alone = checks[5][1].model_copy(update={"alone": True})
    pairs = [*checks[:5], (checks[5][0], alone)]
    grouped = [[check.id for _, check in batch] for batch in batches(pairs, registry)]
    assert grouped == [["c0", "c1"], ["c2"], ["c3", "c4"], ["c5"]]
