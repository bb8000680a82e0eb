"""One deploy of a function at a time (sandbox/aws/deploylock.py), across processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from sandbox.aws.deploylock import lock_path, one_at_a_time
from sandbox.errors import DeployBusyError
from tests.helpers import wait_for

ENDPOINT = "http://127.0.0.1:1"
HOLD = """
import sys, time
from sandbox.aws.deploylock import one_at_a_time
with one_at_a_time(sys.argv[1], sys.argv[2]):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def function() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def holder(function: str) -> Iterator[subprocess.Popen[str]]:
    """Another process deploying the function: it holds the lock until it is stopped."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, ENDPOINT, function], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "held\n"
    yield process
    process.kill()
    process.wait(timeout=10)
    process.stdout.close()
    lock_path(ENDPOINT, function).unlink(missing_ok=True)


def test_a_deploy_waits_for_the_one_running_and_says_whose_it_is(
    function: str, holder: subprocess.Popen[str]
) -> None:
    heard: list[str] = []
    entered = threading.Event()

    def deploy() -> None:
        with one_at_a_time(ENDPOINT, function, heard.append):
            entered.set()

    waiting = threading.Thread(target=deploy)
    waiting.start()
    assert wait_for(lambda: bool(heard), timeout=5)
    assert heard == [f"another deploy of {function} is running (process {holder.pid}); waiting"]
    time.sleep(0.3)
    assert not entered.is_set()  # still waiting while the other one runs
    holder.terminate()
    waiting.join(timeout=10)
    assert entered.is_set()


def test_a_deploy_killed_mid_way_leaves_no_stale_lock(
    function: str, holder: subprocess.Popen[str]
) -> None:
    holder.kill()  # SIGKILL: no cleanup code runs; the kernel frees the flock
    holder.wait(timeout=10)
    heard: list[str] = []
    with one_at_a_time(ENDPOINT, function, heard.append, limit_s=5):
        pass
    assert heard == []


def test_a_deploy_held_too_long_is_a_clear_error(
    function: str, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(DeployBusyError) as raised, one_at_a_time(ENDPOINT, function, limit_s=0.2):
        pytest.fail("the lock was taken while another process held it")
    assert f"process {holder.pid}" in raised.value.message
    assert "stop that process" in raised.value.hint


def test_other_functions_and_targets_deploy_at_the_same_time(
    function: str, holder: subprocess.Popen[str]
) -> None:
    with one_at_a_time(ENDPOINT, f"{function}-other", limit_s=0.2):
        pass
    with one_at_a_time("http://127.0.0.1:2", function, limit_s=0.2):
        pass
