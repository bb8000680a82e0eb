"""`sandbox serve`: the TUI in a browser through textual-serve, on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import psutil
import pytest

from sandbox.services.process import free_ports
from sandbox.stack.specs import free_port_variables
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


async def _session(port: int, host: str = "127.0.0.1", cookie: str = "") -> str:
    """Connect like the browser page does, and collect what the TUI draws for a while."""
    received = b""
    url = f"ws://{host}:{port}/ws?width=100&height=30"
    headers = {"Cookie": cookie} if cookie else {}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, headers=headers) as websocket,
    ):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while b"Serverless" not in received and loop.time() < deadline:
            try:
                message = await websocket.receive(timeout=deadline - loop.time())
            except TimeoutError:
                break
            if message.type == aiohttp.WSMsgType.BINARY:
                received += message.data
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                break
        await websocket.close()
    return received.decode(errors="replace")


# -- the page, the token, and bad input ---------------------------------------------------

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`serve --host 127.0.0.2` (another address, still this machine's loopback): it makes a
    token and prints it. Yields (base URL, token)."""
    port = free_ports()[0]
    output = tmp_path / "serve.out"
    env = {**os.environ, "SANDBOX_HOME": str(tmp_path / "home"), **free_port_variables()}
    with output.open("w") as sink:
        process = subprocess.Popen(
            [*SANDBOX, "serve", "--host", "127.0.0.2", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.2:{port}/"
    try:
        assert wait_for(lambda: "?token=" in output.read_text(), timeout=20), output.read_text()
        token = output.read_text().split("?token=")[1].split()[0]
        assert wait_for(lambda: _status(f"{base}?token={token}") == 200, timeout=20)
        yield base, token
    finally:
        _stop(process)


def _status(url: str, cookie: str = "") -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


def test_the_page_needs_nothing_from_another_host(server: tuple[int, int]) -> None:
    port, _ = server
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        page = response.read().decode()
    fetched = re.findall(r"""(?:src|href)=["']([^"']+)|url\(["']?([^"')]+)""", page)
    addresses = [a or b for a, b in fetched]
    assert "/static/js/textual.js" in addresses
    assert "/static/fonts/RobotoMono-VariableFont_wght.ttf" in addresses
    assert all(a.startswith("/static/") for a in addresses), addresses
    assert "googleapis" not in page
    font = f"http://127.0.0.1:{port}/static/fonts/RobotoMono-VariableFont_wght.ttf"
    assert _status(font) == 200


def test_another_address_needs_the_token_serve_printed(guarded: tuple[str, str]) -> None:
    base, token = guarded
    assert len(token) >= 16
    assert _status(base) == 403
    assert _status(f"{base}?token=not-the-right-token") == 403
    assert _status(f"{base}static/js/textual.js") == 403
    assert _status(f"{base}?token={token}") == 200
    assert _status(f"{base}static/js/textual.js", cookie=f"sandbox_token={token}") == 200


def test_a_wrong_token_is_refused_with_a_message(guarded: tuple[str, str]) -> None:
    base, _ = guarded
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}?token=wrong-token-here", timeout=5)
    assert refused.value.code == 403
    assert "wrong token" in refused.value.read().decode()


def test_the_tui_runs_only_for_a_browser_with_the_token(guarded: tuple[str, str]) -> None:
    base, token = guarded
    port = int(base.rsplit(":", 1)[1].strip("/"))
    assert asyncio.run(_handshake(port, cookie="")) == 403
    screen = asyncio.run(_session(port, host="127.0.0.2", cookie=f"sandbox_token={token}"))
    assert "Serverless" in screen


def test_a_page_from_another_site_cannot_drive_the_tui(server: tuple[int, int]) -> None:
    port, _ = server
    status = asyncio.run(
        _handshake(port, cookie="", origin="http://elsewhere.example", host="127.0.0.1")
    )
    assert status == 403


async def _handshake(port: int, cookie: str, origin: str = "", host: str = "127.0.0.2") -> int:
    headers = {k: v for k, v in (("Cookie", cookie), ("Origin", origin)) if v}
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(f"ws://{host}:{port}/ws", headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as err:
            return err.status


def test_serve_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*SANDBOX, "serve", "--port", str(port)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "choose another --port" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--token", "short"], "--token must be 12 to 128 letters"),
        (["--host", "no-such-host.invalid"], "cannot listen on no-such-host.invalid"),
    ],
)
def test_serve_refuses_bad_input(args: list[str], message: str) -> None:
    port = free_ports()[0]
    done = subprocess.run(
        [*SANDBOX, "serve", "--port", str(port), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
