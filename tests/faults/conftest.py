"""One faults server (a real `python -m sandbox.faults` process, started by its launcher)
serves this folder's tests; each test starts with no proxies and deletes its own after.
Tests that restart a server start their own, and stop it by PID."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.services import faults
from sandbox.services.process import ServerProcess
from tests.helpers import free_port


class Api:
    """Raw HTTP to the faults API, as the Toxiproxy README documents it."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=10, **kwargs)

    def get(self, path: str) -> requests.Response:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json=body, **kwargs)

    def delete(self, path: str) -> requests.Response:
        return self.call("DELETE", path)

    def proxy(self, name: str, upstream_port: int, listen: str = "127.0.0.1:0") -> int:
        """Create a proxy to 127.0.0.1:`upstream_port`; return the port it listens on."""
        body = {"name": name, "listen": listen, "upstream": f"127.0.0.1:{upstream_port}"}
        response = self.post("/proxies", body)
        assert response.status_code == 201, response.text
        return int(response.json()["listen"].rsplit(":", 1)[1])

    def toxic(self, proxy: str, **body: Any) -> dict[str, Any]:
        response = self.post(f"/proxies/{proxy}/toxics", body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def stats(self, proxy: str) -> dict[str, int]:
        result: dict[str, int] = self.get(f"/proxies/{proxy}").json()["stats"]
        return result

    def clear(self) -> None:
        for name in self.get("/proxies").json():
            self.delete(f"/proxies/{name}")

    def close(self) -> None:
        self.session.close()


def start_server(home: Path, port: int | None = None) -> ServerProcess:
    return faults.start(faults.FaultsConfig(home=home, port=port or free_port()))


@pytest.fixture(scope="session")
def faults_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("faults-home"))
    yield server
    server.stop(timeout=5)


@pytest.fixture
def api(faults_server: ServerProcess) -> Iterator[Api]:
    client = Api(faults_server.url)
    client.clear()
    yield client
    client.clear()
    client.close()
