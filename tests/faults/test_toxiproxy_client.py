"""A published Toxiproxy client, toxiproxy-python 0.1.1 (PyPI), works against our server
unchanged: it creates a proxy, adds a toxic that slows real traffic, and removes it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from sandbox.services.process import ServerProcess
from tests.faults.conftest import Api
from tests.faults.upstreams import echo, serving


@pytest.fixture
def toxiproxy(api: Api, faults_server: ServerProcess) -> Iterator[Toxiproxy]:
    # The client keeps its server address in class attributes: point them here, then back.
    before = (APIConsumer.host, APIConsumer.port)
    server = Toxiproxy()
    server.update_api_consumer("127.0.0.1", faults_server.port)
    yield server
    server.update_api_consumer(*before)


def echo_time(port: int) -> float:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        began = time.monotonic()
        sock.sendall(b"ping")
        assert sock.recv(10) == b"ping"
        return time.monotonic() - began


def test_the_client_creates_a_proxy_adds_a_toxic_and_removes_it(toxiproxy: Toxiproxy) -> None:
    assert toxiproxy.running()
    assert b'"version"' in toxiproxy.version()
    with serving(echo) as upstream:
        proxy = toxiproxy.create(upstream=f"127.0.0.1:{upstream.port}", name="client_echo")
        port = int(proxy.listen.rsplit(":", 1)[1])
        assert echo_time(port) < 0.3  # far below the toxic's, even on a loaded machine

        proxy.add_toxic(type="latency", attributes={"latency": 400})
        toxics = proxy.toxics()
        assert list(toxics) == ["latency_downstream"]
        assert toxics["latency_downstream"].attributes == {"latency": 400, "jitter": 0}
        assert echo_time(port) >= 0.395

        assert proxy.destroy_toxic("latency_downstream")
        assert proxy.toxics() == {}
        assert echo_time(port) < 0.3


def test_the_client_lists_disables_resets_and_destroys(toxiproxy: Toxiproxy) -> None:
    proxy = toxiproxy.create(upstream="127.0.0.1:9", name="client_other", listen="127.0.0.1:0")
    assert set(toxiproxy.proxies()) == {"client_other"}
    proxy.disable()
    disabled = toxiproxy.get_proxy("client_other")
    assert disabled is not None
    assert disabled.enabled is False
    proxy.add_toxic(type="timeout", stream="upstream", attributes={"timeout": 10})
    assert toxiproxy.reset()
    fresh = toxiproxy.get_proxy("client_other")
    assert fresh is not None
    assert fresh.enabled
    assert fresh.toxics() == {}
    assert toxiproxy.destroy(fresh)
    assert toxiproxy.proxies() == {}


def test_the_client_populates_and_maps_our_errors_to_its_exceptions(toxiproxy: Toxiproxy) -> None:
    created = toxiproxy.populate(
        [{"name": "client_pop", "upstream": "127.0.0.1:9", "listen": None}]
    )
    assert [proxy.name for proxy in created] == ["client_pop"]
    with pytest.raises(ProxyExists):  # our 409, as the client maps Toxiproxy's
        APIConsumer.post("/proxies", json={"name": "client_pop", "upstream": "127.0.0.1:9"})
    proxy = created[0]
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="no_such_toxic")
    proxy.destroy()
    with pytest.raises(NotFound):
        proxy.destroy_toxic("latency_downstream")
