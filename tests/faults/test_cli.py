"""`sandbox fault ...` as a person runs it, against a running faults server: text and
--json, and clear errors (exit 1, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sandbox.services.process import ServerProcess
from tests.faults.conftest import Api
from tests.faults.upstreams import echo, serving
from tests.helpers import free_port

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]


PROXY_ADD = ("proxy", "add", "--listen", "127.0.0.1:0")


def fault(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SANDBOX_")}
    env["SANDBOX_FAULTS_PORT"] = str(port)
    return subprocess.run(
        [*SANDBOX, "fault", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def ok(port: int, *args: str) -> str:
    result = fault(port, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_proxy_toxic_list_remove_reset_in_text(api: Api, faults_server: ServerProcess) -> None:
    port = faults_server.port
    with serving(echo) as upstream:
        upstream_address = f"127.0.0.1:{upstream.port}"
        created = ok(port, *PROXY_ADD, "echo", "--upstream", upstream_address)
        assert created.startswith("Created proxy 'echo': 127.0.0.1:")
        added = ok(port, "add", "echo", "latency", "--attr", "latency=120", "--attr", "jitter=5")
        assert "latency_downstream: latency on downstream, toxicity 1" in added
        assert "latency=120 jitter=5" in added
        listing = ok(port, "list")
        assert f"-> 127.0.0.1:{upstream.port} (enabled;" in listing
        assert "  latency_downstream: latency on downstream" in listing
        assert ok(port, "remove", "echo", "latency_downstream").startswith("Removed toxic")
        ok(port, "add", "echo", "timeout", "--stream", "up", "--toxicity", "0.5", "--name", "t")
        assert ok(port, "reset").startswith("Reset")
        assert api.get("/proxies/echo/toxics").json() == []


def test_every_command_answers_json(api: Api, faults_server: ServerProcess) -> None:
    port = faults_server.port
    proxy = json.loads(ok(port, *PROXY_ADD, "p", "--upstream", "127.0.0.1:9", "--json"))
    assert proxy["name"] == "p"
    assert proxy["enabled"] is True
    toxic = json.loads(ok(port, "add", "p", "http_abort", "--attr", "status=502", "--json"))
    assert toxic == {
        "name": "http_abort_upstream",
        "type": "http_abort",
        "stream": "upstream",
        "toxicity": 1.0,
        "attributes": {"status": 502, "percentage": 100.0},
    }
    listing = json.loads(ok(port, "list", "--json"))
    assert listing["p"]["toxics"] == [toxic]
    assert json.loads(ok(port, "proxy", "disable", "p", "--json"))["enabled"] is False
    assert json.loads(ok(port, "proxy", "enable", "p", "--json"))["enabled"] is True
    removed = json.loads(ok(port, "remove", "p", "http_abort_upstream", "--json"))
    assert removed == {"proxy": "p", "removed": "http_abort_upstream"}
    assert json.loads(ok(port, "reset", "--json")) == {"reset": True}
    assert json.loads(ok(port, "proxy", "remove", "p", "--json")) == {"removed": "p"}
    assert json.loads(ok(port, "list", "--json")) == {}


def test_an_empty_list_says_how_to_make_a_proxy(api: Api, faults_server: ServerProcess) -> None:
    assert "sandbox fault proxy add NAME" in ok(faults_server.port, "list")


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (("add", "ghost", "latency"), "faults: proxy not found: ghost", "sandbox fault list"),
        (("add", "p", "latency", "--attr", "latancy=1"), "unknown attribute 'latancy'", "--help"),
        (("remove", "p", "nothing"), "toxic not found: nothing", "sandbox fault list"),
        ((*PROXY_ADD, "p", "--upstream", "h:1"), "proxy already exists: p", "pick another name"),
    ],
)
def test_api_errors_are_a_message_and_a_hint(
    api: Api, faults_server: ServerProcess, args: tuple[str, ...], message: str, hint: str
) -> None:
    api.proxy("p", free_port())
    result = fault(faults_server.port, *args)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert hint in result.stderr
    assert "Traceback" not in result.stderr


def test_no_server_is_a_clear_error() -> None:
    result = fault(free_port(), "list")
    assert result.returncode == 1
    assert "the faults server is not answering at http://127.0.0.1:" in result.stderr
    assert "SANDBOX_FAULTS_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_port_setting_is_a_clear_error() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SANDBOX_")}
    env["SANDBOX_FAULTS_PORT"] = "eighty"
    result = subprocess.run(
        [*SANDBOX, "fault", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "SANDBOX_FAULTS_PORT='eighty' is not a usable port" in result.stderr


def test_a_bad_attr_and_an_unknown_type_are_usage_errors(faults_server: ServerProcess) -> None:
    bad_attr = fault(faults_server.port, "add", "p", "latency", "--attr", "latency")
    assert bad_attr.returncode == 2
    assert "is not KEY=VALUE" in bad_attr.stderr
    bad_type = fault(faults_server.port, "add", "p", "latancy")
    assert bad_type.returncode == 2
    assert "'latancy' is not one of" in bad_type.stderr
    assert "Traceback" not in bad_attr.stderr + bad_type.stderr
