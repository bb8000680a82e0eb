"""A restart of the faults service keeps the proxies but none of the faults."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from sandbox.services import faults
from tests.faults.conftest import Api, start_server
from tests.helpers import free_port


def test_a_restart_keeps_the_proxies_enabled_and_drops_every_toxic(tmp_path: Path) -> None:
    port, listen_a, listen_b = free_port(), free_port(), free_port()
    server = start_server(tmp_path, port)
    api = Api(server.url)
    try:
        api.proxy("a", 1111, listen=f"127.0.0.1:{listen_a}")
        api.proxy("b", 2222, listen=f"127.0.0.1:{listen_b}")
        api.toxic("a", type="latency", attributes={"latency": 100})
        api.post("/proxies/b", {"enabled": False})  # "down" is a fault too
    finally:
        server.stop(timeout=5)
    saved = json.loads(faults.FaultsConfig(home=tmp_path).state_path.read_text())
    assert [p["name"] for p in saved["proxies"]] == ["a", "b"]
    assert "toxics" not in json.dumps(saved)

    server = start_server(tmp_path, port)
    try:
        proxies = api.get("/proxies").json()
        assert {name: (p["listen"], p["enabled"], p["toxics"]) for name, p in proxies.items()} == {
            "a": (f"127.0.0.1:{listen_a}", True, []),
            "b": (f"127.0.0.1:{listen_b}", True, []),
        }
        socket.create_connection(("127.0.0.1", listen_b), timeout=2).close()
    finally:
        api.close()
        server.stop(timeout=5)


def test_a_proxy_whose_port_was_taken_meanwhile_comes_back_disabled(tmp_path: Path) -> None:
    port, listen = free_port(), free_port()
    server = start_server(tmp_path, port)
    api = Api(server.url)
    try:
        api.proxy("a", 1111, listen=f"127.0.0.1:{listen}")
    finally:
        server.stop(timeout=5)
    with socket.create_server(("127.0.0.1", listen)):
        server = start_server(tmp_path, port)
        try:
            assert api.get("/proxies/a").json()["enabled"] is False
        finally:
            api.close()
            server.stop(timeout=5)
    assert "not restored as enabled" in faults.FaultsConfig(home=tmp_path).log_path.read_text()


def test_an_unreadable_state_file_is_reported_and_the_server_starts_empty(tmp_path: Path) -> None:
    config = faults.FaultsConfig(home=tmp_path)
    config.data_dir.mkdir(parents=True)
    config.state_path.write_text("{not json")
    server = start_server(tmp_path)
    api = Api(server.url)
    try:
        assert api.get("/proxies").json() == {}
    finally:
        api.close()
        server.stop(timeout=5)
    assert "ignoring the unreadable state file" in config.log_path.read_text()


def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    assert server.stop(timeout=5) == 0
    assert "faults: stopping" in faults.FaultsConfig(home=tmp_path).log_path.read_text()


def test_wipe_forgets_the_proxies(tmp_path: Path) -> None:
    config = faults.FaultsConfig(home=tmp_path, port=free_port())
    server = faults.start(config)
    api = Api(server.url)
    try:
        api.proxy("a", 1111)
    finally:
        api.close()
        server.stop(timeout=5)
    faults.wipe(config)
    assert not config.state_path.exists()
