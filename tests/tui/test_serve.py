"""`sandbox serve`: the TUI in a browser through textual-serve, on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import psutil
import pytest

from sandbox.services.process import free_ports
from tests.conftest import REPO
from tests.helpers import wait_for


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """`serve` on a free port, with its own (empty) state dir; stopped by its PID."""
    port, *others = free_ports(5)
    names = ("APP", "AWS", "POSTGRES", "REDIS")
    env = {
        **os.environ,
        "SANDBOX_HOME": str(tmp_path / "home"),
        **{f"SANDBOX_{n}_PORT": str(p) for n, p in zip(names, others, strict=True)},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.cli_tui", "serve", "--port", str(port)], cwd=REPO,
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        assert wait_for(lambda: _answers(port), timeout=20), "serve never answered"
        yield port, process.pid
    finally:
        _stop(process)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM by PID (textual-serve exits gracefully on it), SIGKILL if it lingers."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def test_serve_answers_on_loopback_only(server: tuple[int, int]) -> None:
    port, pid = server
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        page = response.read().decode()
    assert f"ws://127.0.0.1:{port}/ws" in page
    listening = [c.laddr for c in psutil.Process(pid).net_connections("inet")
                 if c.status == psutil.CONN_LISTEN]  # fmt: skip
    assert listening
    assert {address.ip for address in listening} == {"127.0.0.1"}


def test_a_browser_session_runs_the_tui(server: tuple[int, int]) -> None:
    port, _ = server
    screen = asyncio.run(_session(port))
    assert "Stack" in screen
    assert "Serverless" in screen


async def _session(port: int) -> str:
    """Connect like the browser page does, and collect what the TUI draws for a while."""
    received = b""
    url = f"ws://127.0.0.1:{port}/ws?width=100&height=30"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as socket:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while b"Serverless" not in received and loop.time() < deadline:
            try:
                message = await socket.receive(timeout=deadline - loop.time())
            except TimeoutError:
                break
            if message.type == aiohttp.WSMsgType.BINARY:
                received += message.data
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                break
        await socket.close()
    return received.decode(errors="replace")
