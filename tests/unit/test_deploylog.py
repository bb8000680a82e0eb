"""The deploy log (sandbox/aws/deploylog.py): what each pipeline run did to a function."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sandbox.aws import deploylog
from sandbox.aws.deploylog import Entry, by_run, log_path, record

ENDPOINT = "http://127.0.0.1:1"


@pytest.fixture
def function() -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    log_path(ENDPOINT, name).unlink(missing_ok=True)


def test_each_run_reads_only_what_it_did(function: str) -> None:
    record(ENDPOINT, function, Entry("release", "code-a", "2", "1", "2", run="11"))
    record(ENDPOINT, function, Entry("deploy", "code-b", run="22"))
    record(ENDPOINT, function, Entry("rollback", live_from="2", live_to="1", run="11"))
    assert [e.action for e in by_run(ENDPOINT, function, "11")] == ["release", "rollback"]
    [deployed] = by_run(ENDPOINT, function, "22")
    assert (deployed.action, deployed.code, deployed.live_to) == ("deploy", "code-b", None)
    assert by_run(ENDPOINT, function, "33") == []


def test_a_change_outside_a_run_belongs_to_no_run(
    function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(deploylog.RUN_VARIABLE, raising=False)
    record(ENDPOINT, function, Entry("deploy", "code"))
    monkeypatch.setenv(deploylog.RUN_VARIABLE, "44")
    record(ENDPOINT, function, Entry("deploy", "code"))  # inside a run: the step's variable
    assert [e.run for e in by_run(ENDPOINT, function, "44")] == ["44"]
    assert len(by_run(ENDPOINT, function, "")) == 1


def test_the_log_keeps_the_newest_entries_and_skips_lines_it_cannot_read(function: str) -> None:
    for n in range(deploylog.KEPT + 5):
        record(ENDPOINT, function, Entry("deploy", f"code-{n}", run="55"))
    with log_path(ENDPOINT, function).open("a") as log:
        log.write("not json\n")
    kept = by_run(ENDPOINT, function, "55")
    assert len(kept) == deploylog.KEPT
    assert (kept[0].code, kept[-1].code) == ("code-5", f"code-{deploylog.KEPT + 4}")
