"""The faults server runs as a service of the stack, and its faults never outlive a restart."""

from __future__ import annotations

import pytest

from sandbox.faults.client import FaultsClient
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.model import State
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
