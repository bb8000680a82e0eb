"""The warm `sandbox` of graded runs (sandbox/warmcli): a call through the shim
prints, reads and exits as the real CLI does, signals reach the command, and no command
outlives its shim or the server. A real server, no stack: `check` needs none, and
`invoke --event -` reads its stdin first, so it waits for as long as a test keeps it open.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from sandbox import warmcli
from tests.conftest import REPO
from tests.helpers import wait_for

REAL = [str(Path(sys.executable).parent / "sandbox")]
GOOD = (REPO / "labs" / "05-cicd" / "starter" / "app" / "Dockerfile").read_text()  # passes


@pytest.fixture
def warm() -> Iterator[warmcli.WarmCli]:
    server = warmcli.start()
    assert server is not None
    yield server
    warmcli.stop(server)


def call(
    folder: Path, *args: str, cwd: Path | None = None, **popen: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(folder / "sandbox"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=False, **popen)  # type: ignore[call-overload]  # fmt: skip


def real(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*REAL, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip


def children(warm: warmcli.WarmCli) -> list[psutil.Process]:
    return psutil.Process(warm.server.pid).children()


def gone(process: psutil.Process) -> bool:
    """Ended: reaped, or a zombie until the server reaps it."""
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def waiting_call(warm: warmcli.WarmCli, home: Path) -> subprocess.Popen[str]:
    """A call that waits: it reads the event from a stdin this test does not close."""
    shim = subprocess.Popen([str(warm.folder / "sandbox"), "invoke", "--event", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "SANDBOX_HOME": str(home)})  # fmt: skip
    assert wait_for(lambda: len(children(warm)) == 1, 20), "the server never forked the call"
    return shim


@pytest.mark.parametrize("dockerfile", [GOOD, "FROM python:latest\nCMD python app.py\n", None])
def test_a_call_prints_and_exits_as_the_real_cli(
    warm: warmcli.WarmCli, tmp_path: Path, dockerfile: str | None
) -> None:
    if dockerfile is not None:
        (tmp_path / "Dockerfile").write_text(dockerfile)
    through_shim = call(warm.folder, "check", "dockerfile", "Dockerfile", cwd=tmp_path)
    direct = real("check", "dockerfile", "Dockerfile", cwd=tmp_path)
    assert (through_shim.returncode, through_shim.stdout, through_shim.stderr) == (
        direct.returncode, direct.stdout, direct.stderr,
    )  # fmt: skip
    assert through_shim.returncode == {GOOD: 0, None: 2}.get(dockerfile, 1)
    assert children(warm) == []  # the server forked it, and it is gone


def test_a_call_gets_the_callers_environment(warm: warmcli.WarmCli) -> None:
    """COLUMNS sets the width click wraps help to: the call's own, not the server's."""
    helps = {}
    for columns in ("50", "200"):
        env = {**os.environ, "COLUMNS": columns}
        helps[columns] = call(warm.folder, "check", "--help", env=env).stdout
        assert helps[columns] == subprocess.run([*REAL, "check", "--help"], env=env,
                                                capture_output=True, text=True).stdout  # fmt: skip
    assert helps["50"] != helps["200"]


def test_the_command_reads_the_callers_stdin(warm: warmcli.WarmCli, tmp_path: Path) -> None:
    shim = waiting_call(warm, tmp_path)
    time.sleep(0.5)
    assert shim.poll() is None  # still reading the open pipe
    _, err = shim.communicate("{}", timeout=30)  # end of file: it goes on, to the stack
    assert shim.returncode == 1
    assert "the AWS emulator is not running" in err


def test_a_signal_to_the_shim_ends_the_command_and_the_shim_dies_of_it(
    warm: warmcli.WarmCli, tmp_path: Path
) -> None:
    shim = waiting_call(warm, tmp_path)
    shim.send_signal(signal.SIGTERM)
    shim.communicate(timeout=20)
    assert shim.returncode == -signal.SIGTERM
    assert wait_for(lambda: children(warm) == [], 20)


def test_a_killed_shim_takes_its_command_with_it(warm: warmcli.WarmCli, tmp_path: Path) -> None:
    shim = waiting_call(warm, tmp_path)
    [command] = children(warm)
    shim.kill()
    shim.communicate(timeout=20)
    assert wait_for(lambda: gone(command), 20)
    assert wait_for(lambda: children(warm) == [], 20)


@pytest.mark.parametrize("how", ["stop", "sigterm"])
def test_stopping_the_server_ends_its_commands_and_says_so(
    warm: warmcli.WarmCli, tmp_path: Path, how: str
) -> None:
    shim = waiting_call(warm, tmp_path)
    [command] = children(warm)
    if how == "stop":
        warmcli.stop(warm)  # its stdin closed, as when the grading ends
    else:
        warm.server.send_signal(signal.SIGTERM)
        warm.server.wait(20)
    _, err = shim.communicate(timeout=20)
    assert shim.returncode == 1
    assert "the warm CLI server stopped before the command ended" in err
    assert gone(command)
    assert warm.server.poll() is not None


def test_other_commands_and_a_gone_server_run_the_real_cli(warm: warmcli.WarmCli) -> None:
    version = real("--version").stdout
    assert call(warm.folder, "--version").stdout == version  # not kept warm: exec'd
    warm.server.kill()
    warm.server.wait()
    started = time.monotonic()
    fallback = call(warm.folder, "check", "dockerfile", "/no/such/Dockerfile")
    assert fallback.returncode == 2
    assert "does not exist" in fallback.stderr
    assert time.monotonic() - started < 30


def test_runs_that_overlap_share_one_server_stopped_by_the_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(warmcli.SWITCH, raising=False)
    with warmcli.shared() as first, warmcli.shared() as second:
        assert first is not None
        assert first == second
        server = warmcli._SHARED.warm
        assert server is not None
    assert server.server.poll() is not None
    assert not first.exists()
    monkeypatch.setenv(warmcli.SWITCH, "0")
    with warmcli.shared() as off:
        assert off is None
