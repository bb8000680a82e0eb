"""The supervisor's restart policy, with real short-lived processes standing in for servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.errors import ServiceStartError
from sandbox.readiness import TcpCheck
from sandbox.services.process import ServerProcess
from sandbox.stack import supervisor
from sandbox.stack.model import State
from sandbox.stack.specs import ServiceSpec
from tests.helpers import free_port, wait_for


def crashing_launcher(log: Path, lives: float = 0.3):  # type: ignore[no-untyped-def]
    """Starts a real process that prints a line and exits with code 3 after `lives` s."""

    def launch() -> ServerProcess:
        code = f"import time; print('boom', flush=True); time.sleep({lives}); raise SystemExit(3)"
        with log.open("ab") as out:
            popen = subprocess.Popen([sys.executable, "-c", code], stdout=out)
        return ServerProcess("flaky", popen, 1, "tcp://flaky", log)

    return launch


@pytest.fixture
def recorder(tmp_path: Path) -> supervisor.Recorder:
    spec = ServiceSpec("flaky", free_port(), "tcp://flaky", TcpCheck(free_port()))
    return supervisor.Recorder(tmp_path, {"flaky": spec})


def runner(recorder: supervisor.Recorder, launch) -> supervisor.ServiceRunner:  # type: ignore[no-untyped-def]
    spec = ServiceSpec("flaky", 1, "tcp://flaky", TcpCheck(free_port()))
    return supervisor.ServiceRunner(spec, launch, recorder, lambda: State.HEALTHY)


def test_a_crashing_service_is_restarted_then_marked_failed(
    tmp_path: Path, recorder: supervisor.Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervisor, "BACKOFF_SECONDS", (0.05, 0.1))
    worker = runner(recorder, crashing_launcher(tmp_path / "flaky.log"))
    worker.start()
    worker.join(30)
    service = recorder.status.services["flaky"]
    assert service.state is State.FAILED
    assert service.restarts == supervisor.MAX_RESTARTS
    assert "crashed 5 times in a row" in service.error
    assert service.last_exit is not None
    assert service.last_exit.code == 3
    assert "boom" in service.last_exit.log_tail


def test_a_first_start_failure_is_not_retried(
    tmp_path: Path, recorder: supervisor.Recorder
) -> None:
    attempts = []

    def refuses() -> ServerProcess:
        attempts.append(1)
        raise ServiceStartError("flaky", "port 1 is taken", "pick another")

    worker = runner(recorder, refuses)
    worker.start()
    worker.join(10)
    assert len(attempts) == 1
    assert recorder.status.services["flaky"].state is State.FAILED
    assert "port 1 is taken" in recorder.status.services["flaky"].error


def test_stop_request_stops_the_process(tmp_path: Path, recorder: supervisor.Recorder) -> None:
    worker = runner(recorder, crashing_launcher(tmp_path / "flaky.log", lives=60))
    worker.start()
    assert wait_for(lambda: recorder.state("flaky") is State.HEALTHY, 10)
    pid = recorder.status.services["flaky"].pid
    worker.request_stop()
    worker.join(20)
    assert recorder.state("flaky") is State.STOPPED
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
