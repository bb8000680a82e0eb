"""Services a lab declares run beside the stack while the lab does, and every running service
is registered in the emulator's Cloud Map (at its fault proxy's port when it has one)."""

from __future__ import annotations

import os
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from sandbox.config import Settings
from sandbox.faults.client import FaultsClient
from sandbox.labs import loader
from sandbox.labs.lifecycle import Change, start_lab, stop_lab
from sandbox.labs.model import Lab
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.model import State
from sandbox.stack.specs import free_port_variables
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.slow
LAB = "99-services"

GREETER = """\
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        names = ("ECHO_URL", "PORT", "AWS_ENDPOINT_URL", "SANDBOX_NAMESPACE", "GREETING")
        body = json.dumps({name: os.environ.get(name) for name in names}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""


def write_lab(root: Path) -> None:
    """A lab with two services: `echo` (the lab's own, behind a proxy) and `greeter` (the
    learner's, told where echo is through a placeholder)."""
    folder = root / LAB
    (folder / "services" / "echo").mkdir(parents=True)
    (folder / "services" / "echo" / "index.html").write_text("echo\n")
    for variant in ("starter", "solution"):
        (folder / variant / "greeter").mkdir(parents=True)
        (folder / variant / "greeter" / "greeter.py").write_text(GREETER)
    (folder / "steps").mkdir()
    (folder / "steps" / "01.md").write_text("# Say hello\n")
    (folder / "lab.yaml").write_text(
        textwrap.dedent(f"""\
        id: {LAB}
        title: Lab services
        summary: A lab that brings its own services.
        services: [aws, faults]
        lab_services:
          - name: echo
            root: lab
            dir: services/echo
            command: ["{{python}}", "-m", "http.server", "{{port}}", "--bind", "127.0.0.1"]
            port: 18601
            ready: /
            proxy: 18602
          - name: greeter
            dir: greeter
            command: ["{{python}}", "greeter.py"]
            port: 18603
            ready: /
            env: {{ECHO_URL: "http://127.0.0.1:{{echo_proxy_port}}", GREETING: hello}}
            depends_on: [echo]
        steps:
          - id: hello
            title: Say hello
            instructions: steps/01.md
            checks:
              - id: greeter-answers
                kind: http
                title: the app answers
                path: /health
                expect: {{status: 200}}
        """)
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("lab-services")
    write_lab(root / "labs")
    ports = {
        "SANDBOX_ECHO_PORT": free_port(),
        "SANDBOX_ECHO_PROXY_PORT": free_port(),
        "SANDBOX_GREETER_PORT": free_port(),
    }
    values = {
        "SANDBOX_HOME": str(root / "home"),
        "SANDBOX_WORKSPACE": str(root / "workspace"),
        "SANDBOX_LABS_DIR": str(root / "labs"),
        **free_port_variables(),
        **{key: str(port) for key, port in ports.items()},
    }
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)  # lab start reads ports and folders from the environment
    stack = EmbeddedBackend(Settings.from_env(values))
    stack.start()
    yield values
    stack.reset()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def stack(env: dict[str, str]) -> EmbeddedBackend:
    return EmbeddedBackend(Settings.from_env(env))


@pytest.fixture
def lab(env: dict[str, str]) -> Lab:
    return loader.load(LAB)[0]


@pytest.fixture
def started(lab: Lab, stack: EmbeddedBackend) -> Iterator[Lab]:
    _, switch = start_lab(lab, stack.settings, lambda: stack)
    assert Change.SERVICES_STARTED in switch.changes
    yield lab
    stop_lab(stack.settings, lambda: stack, lab)


def discovered(stack: EmbeddedBackend, name: str) -> list[dict[str, Any]]:
    client = boto3.client(
        "servicediscovery",
        endpoint_url=stack.endpoint("aws"),
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(inject_host_prefix=False),
    )
    try:
        found = client.discover_instances(
            NamespaceName="sandbox", ServiceName=name, HealthStatus="HEALTHY"
        )
    except client.exceptions.ServiceNotFound:
        return []
    return found["Instances"]  # type: ignore[return-value]


def registered_port(stack: EmbeddedBackend, name: str) -> int | None:
    instances = discovered(stack, name)
    return int(instances[0]["Attributes"]["AWS_INSTANCE_PORT"]) if instances else None


def test_a_started_lab_runs_its_services_with_the_stack_environment(
    started: Lab, stack: EmbeddedBackend, env: dict[str, str]
) -> None:
    services = stack.status().services
    assert services["echo"].state is State.HEALTHY
    assert services["greeter"].state is State.HEALTHY
    greeter = requests.get(services["greeter"].url, timeout=5).json()
    assert greeter == {
        "ECHO_URL": f"http://127.0.0.1:{env['SANDBOX_ECHO_PROXY_PORT']}",
        "PORT": env["SANDBOX_GREETER_PORT"],
        "AWS_ENDPOINT_URL": stack.endpoint("aws"),
        "SANDBOX_NAMESPACE": "sandbox",
        "GREETING": "hello",
    }
    through_proxy = requests.get(greeter["ECHO_URL"] + "/index.html", timeout=5)
    assert through_proxy.text == "echo\n"


def test_cloud_map_finds_each_service_and_a_proxied_one_at_its_proxy(
    started: Lab, stack: EmbeddedBackend, env: dict[str, str]
) -> None:
    assert wait_for(lambda: registered_port(stack, "echo") is not None, timeout=10)
    assert registered_port(stack, "echo") == int(env["SANDBOX_ECHO_PROXY_PORT"])
    assert registered_port(stack, "greeter") == int(env["SANDBOX_GREETER_PORT"])
    assert registered_port(stack, "app") == int(env["SANDBOX_APP_PORT"])
    assert registered_port(stack, "postgres") == int(env["SANDBOX_POSTGRES_PORT"])


def test_a_stopped_service_leaves_cloud_map_and_comes_back_when_started(
    started: Lab, stack: EmbeddedBackend
) -> None:
    assert wait_for(lambda: registered_port(stack, "greeter") is not None, timeout=10)
    stack.stop_service("greeter")
    assert wait_for(lambda: registered_port(stack, "greeter") is None, timeout=10)
    stack.start_service("greeter")
    assert wait_for(lambda: registered_port(stack, "greeter") is not None, timeout=10)


def test_a_proxy_put_in_front_of_a_stack_service_becomes_its_registered_address(
    stack: EmbeddedBackend, env: dict[str, str]
) -> None:
    faults = FaultsClient(stack.endpoint("faults"))
    listen = free_port()
    faults.create_proxy("app-front", f"127.0.0.1:{listen}", f"127.0.0.1:{env['SANDBOX_APP_PORT']}")
    try:
        assert wait_for(lambda: registered_port(stack, "app") == listen, timeout=10)
    finally:
        faults.delete_proxy("app-front")
    assert wait_for(lambda: registered_port(stack, "app") == int(env["SANDBOX_APP_PORT"]), 10)


def test_a_lab_service_that_dies_is_restarted(started: Lab, stack: EmbeddedBackend) -> None:
    before = stack.status().services["greeter"]
    assert before.pid is not None
    os.kill(before.pid, signal.SIGKILL)

    def restarted() -> bool:
        now = stack.status().services["greeter"]
        return now.state is State.HEALTHY and now.pid not in (None, before.pid)

    assert wait_for(restarted, timeout=15)


def test_leaving_the_lab_stops_its_services_removes_its_proxy_and_its_registrations(
    lab: Lab, stack: EmbeddedBackend
) -> None:
    start_lab(lab, stack.settings, lambda: stack)
    assert wait_for(lambda: registered_port(stack, "echo") is not None, timeout=10)

    switch = stop_lab(stack.settings, lambda: stack, lab)

    assert Change.SERVICES_STOPPED in switch.changes
    assert not {"echo", "greeter"} & set(stack.status().services)
    assert "echo" not in FaultsClient(stack.endpoint("faults")).proxies()
    assert wait_for(lambda: registered_port(stack, "echo") is None, timeout=10)
    assert stack.status().all_healthy


def test_the_lab_services_come_back_with_the_stack_after_down_and_up(
    started: Lab, stack: EmbeddedBackend
) -> None:
    stack.stop()
    assert not stack.status().running
    stack.start()
    services = stack.status().services
    assert services["greeter"].state is State.HEALTHY
    assert requests.get(services["greeter"].url, timeout=5).json()["GREETING"] == "hello"
    assert any("serve" in line.lower() or "GET" in line for line in stack.logs("echo"))


def test_the_cli_shows_stops_and_starts_a_lab_service_by_name(
    started: Lab, env: dict[str, str]
) -> None:
    from tests.labs.test_learner_path import run

    assert "greeter" in run(env, "status").stdout
    stopped = run(env, "stop", "greeter")
    assert stopped.returncode == 0, stopped.stderr
    assert "greeter stopped" in stopped.stdout
    started_again = run(env, "start", "greeter")
    assert started_again.returncode == 0, started_again.stderr
    assert "greeter is healthy." in started_again.stdout
