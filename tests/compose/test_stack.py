"""The compose backend on a real Docker engine: up with every healthcheck green, status,
logs, one service stopped and started, down keeping the data."""

from __future__ import annotations

import json
import time

import pytest
import requests

from sandbox.config import Settings
from sandbox.stack.embedded import EmbeddedBackend
from tests.compose.conftest import CLOSE, SERVICES, ComposeStack

pytestmark = pytest.mark.compose
ALL_HEALTHY = dict.fromkeys(SERVICES, "healthy")


def test_up_returns_once_every_healthcheck_is_green(stack: ComposeStack) -> None:
    if stack.containers():  # run after others: start from nothing all the same
        stack.ok("down")
    started = json.loads(stack.ok("up", "--json", "--timeout", "300"))
    assert started["all_healthy"], started
    assert started["already_running"] is False
    health = {
        c["Config"]["Labels"]["com.docker.compose.service"]: c["State"]["Health"]["Status"]
        for c in stack.containers()
    }
    assert health == {
        "postgres": "healthy",
        "redis": "healthy",
        "aws-free": "healthy",
        "app": "healthy",
    }


def test_a_second_up_changes_nothing(running: ComposeStack) -> None:
    again = json.loads(running.ok("up", "--json"))
    assert again["already_running"] is True


def test_status_has_the_embedded_backends_shape(running: ComposeStack) -> None:
    status = json.loads(running.ok("status", "--json"))
    embedded = EmbeddedBackend(Settings.from_env({"SANDBOX_HOME": "/nonexistent"})).status()
    assert status.keys() == embedded.to_dict().keys()
    assert status["backend"] == "compose"
    for name in SERVICES:
        service = status["services"][name]
        assert service.keys() == embedded.to_dict()["services"][name].keys()
        assert service["state"] == "healthy"
        assert service["port"] == int(running.env[f"SANDBOX_{name.upper()}_PORT"])
        assert "127.0.0.1" in service["url"]


def test_every_port_is_published_on_loopback_only(running: ComposeStack) -> None:
    for container in running.containers():
        for bindings in container["NetworkSettings"]["Ports"].values():
            assert {b["HostIp"] for b in bindings or []} <= {"127.0.0.1"}


def test_the_app_answers_on_its_published_port(running: ComposeStack) -> None:
    ready = requests.get(running.url("app") + "/ready", timeout=10)
    assert ready.status_code == 200, ready.text
    health = requests.get(running.url("app") + "/health", timeout=10).json()
    assert health["environment"] == "sandbox"  # as the embedded backend starts it


def test_logs_per_service_come_from_the_containers(running: ComposeStack) -> None:
    requests.get(running.url("app") + "/health", timeout=10)
    app_lines = running.ok("logs", "app", "-n", "5").splitlines()
    assert app_lines
    assert all(json.loads(line)["level"] for line in app_lines)  # the app's JSON, unprefixed
    every = running.ok("logs").splitlines()
    assert {line.split("|")[0].strip() for line in every} == set(SERVICES)
    assert any("ready to accept connections" in line for line in every)  # PostgreSQL's


def test_there_is_no_supervisor_log_in_compose(running: ComposeStack) -> None:
    result = running.run("logs", "supervisor")
    assert result.returncode == 1
    assert "no supervisor log" in result.stderr
    assert "Traceback" not in result.stderr


def test_one_service_stops_and_starts_while_the_rest_run(running: ComposeStack) -> None:
    running.ok("stop", "redis")
    assert running.states() == {**ALL_HEALTHY, "redis": "stopped"}
    not_ready = requests.get(running.url("app") + "/ready", timeout=10)
    assert not_ready.status_code == 503
    running.ok("start", "redis")
    assert running.states() == ALL_HEALTHY
    assert requests.get(running.url("app") + "/ready", timeout=10).status_code == 200


def test_data_survives_down_and_up(running: ComposeStack) -> None:
    email = f"kept-{time.time_ns()}@example.org"
    created = requests.post(
        running.url("app") + "/api/users", json={"email": email}, headers=CLOSE, timeout=10
    )
    assert created.status_code == 201, created.text
    running.ok("down")
    assert running.containers() == []
    assert len(running.volumes()) >= 3  # postgres, redis, ministack: kept
    running.ok("up", "--timeout", "300")
    user = requests.get(f"{running.url('app')}/api/users/{created.json()['id']}", timeout=10)
    assert user.status_code == 200
    assert user.json()["email"] == email
