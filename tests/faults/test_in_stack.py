"""The faults server runs as a service of the stack, and its faults never outlive a restart."""

from __future__ import annotations

import pytest

from sandbox.faults.client import FaultsClient
from sandbox.services.chaos.client import ChaosClient
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.model import State
from sandbox.tui import faultview
from tests.helpers import free_port

pytestmark = pytest.mark.slow


def test_the_stack_runs_the_faults_service(running_stack: EmbeddedBackend) -> None:
    faults = running_stack.status().services["faults"]
    assert faults.state is State.HEALTHY
    assert FaultsClient(faults.url).proxies() == {}


def test_restarting_the_faults_service_keeps_proxies_and_clears_toxics(
    running_stack: EmbeddedBackend,
) -> None:
    client = FaultsClient(running_stack.endpoint("faults"))
    upstream = running_stack.status().services["redis"].port
    client.create_proxy("redis-faulty", f"127.0.0.1:{free_port()}", f"127.0.0.1:{upstream}")
    try:
        client.add_toxic("redis-faulty", {"type": "latency", "attributes": {"latency": 500}})
        assert len(client.proxies()["redis-faulty"]["toxics"]) == 1
        running_stack.stop_service("faults")
        running_stack.start_service("faults")
        assert client.proxies()["redis-faulty"]["toxics"] == []
    finally:
        client.delete_proxy("redis-faulty")


def test_the_faults_in_force_are_listed_and_cleared_at_once(
    running_stack: EmbeddedBackend,
) -> None:
    """What the TUI's Stack screen shows, and its one key that clears everything."""
    faults_url, aws_url = running_stack.endpoint("faults"), running_stack.endpoint("aws")
    client = FaultsClient(faults_url)
    client.create_proxy("pg-faulty", f"127.0.0.1:{free_port()}", "127.0.0.1:1")
    try:
        client.add_toxic("pg-faulty", {"type": "latency", "attributes": {"latency": 100}})
        ChaosClient(aws_url).set_faults([{"service": "dynamodb", "operation": "PutItem"}])
        shown = faultview.active(faults_url, aws_url)
        assert any(line.startswith("pg-faulty: latency_downstream") for line in shown)
        assert any("dynamodb PutItem -> 503 ServiceUnavailable" in line for line in shown)
        assert faultview.clear(faults_url, aws_url) == "cleared 2 fault(s)"
        assert faultview.active(faults_url, aws_url) == []
    finally:
        ChaosClient(aws_url).set_faults([])
        client.delete_proxy("pg-faulty")
