"""`sandbox demo` runs its whole tour headless on a throw-away stack of its own, records a
valid asciinema v2 cast, stops at a key on a terminal, and leaves the user's stack alone."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow
SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]


def user_env(tmp_path: Path) -> dict[str, str]:
    """The user's own settings: the demo must not touch this state dir or workspace."""
    return {
        **os.environ,
        "SANDBOX_HOME": str(tmp_path / "user-home"),
        "SANDBOX_WORKSPACE": str(tmp_path / "user-workspace"),
    }


def test_the_demo_runs_headless_to_the_end_and_records_a_valid_cast(tmp_path: Path) -> None:
    cast = tmp_path / "demo.cast"
    done = subprocess.run(
        [*SANDBOX, "demo", "--pace", "0", "--record", str(cast)],
        cwd=REPO,
        env=user_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    shown = done.stdout
    for number in range(1, 9):
        assert f"[{number}/8]" in shown
    assert "http_requests_total after:" in shown
    assert "✗ ready " in shown  # the starter fails
    assert "hint for ready:" in shown
    assert shown.rstrip().splitlines()[-2].startswith("Demo finished: 8/8")
    assert "score 100/100" in shown  # the solution passes
    assert not (tmp_path / "user-home").exists()
    assert not (tmp_path / "user-workspace").exists()

    header, *events = [json.loads(line) for line in cast.read_text().splitlines()]
    assert header["version"] == 2
    assert isinstance(header["width"], int)
    assert isinstance(header["height"], int)
    times = [event[0] for event in events]
    assert times == sorted(times)
    assert all(kind == "o" and isinstance(text, str) for _, kind, text in events)
    played = "".join(text for _, _, text in events)
    assert "[8/8] The solution passes" in played
    assert "\r\n" in played


def test_a_key_stops_the_demo_on_a_terminal(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*SANDBOX, "demo", "--pace", "0"],
        cwd=REPO,
        env={**user_env(tmp_path), "TERM": "xterm"},
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,
    )
    os.close(follower)
    shown = b""
    try:
        while b"[1/8]" not in shown:
            shown += os.read(leader, 4096)
        os.write(leader, b"x")
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            try:
                shown += os.read(leader, 4096)
            except OSError:  # the terminal closed: the demo has exited
                break
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    text = shown.decode(errors="replace")
    assert "Stopped before step 2 (a key was pressed)." in text
    assert "Removing the demo's stack" in text
    assert "[2/8]" not in text


def test_a_cast_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "demo.cast"
    done = subprocess.run(
        [*SANDBOX, "demo", "--record", str(target)],
        cwd=REPO,
        env=user_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"cannot write the cast {target}" in done.stderr
    assert "Traceback" not in done.stderr
    assert "[1/8]" not in done.stdout
