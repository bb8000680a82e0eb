"""Bad input gets Toxiproxy's error body, {"error": ..., "status": N}, never a traceback."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests

from tests.faults.conftest import Api
from tests.helpers import free_port


def assert_error(response: requests.Response, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "status"}
    assert body["status"] == status
    assert "Traceback" not in body["error"]
    for fragment in fragments:
        assert fragment in body["error"]


def test_an_unknown_toxic_type_is_a_400_naming_the_known_types(api: Api) -> None:
    api.proxy("p", free_port())
    response = api.post("/proxies/p/toxics", {"type": "latancy"})
    assert_error(response, 400, "invalid toxic type", "'latancy'", "latency, bandwidth")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{bad", "bad request body: not JSON"),
        (b"", "bad request body: the body is empty"),
        (b"[1, 2]", "bad request body: expected a JSON object"),
        (b'{"name": 5, "upstream": "h:1"}', "bad request body: name: Input should be a valid"),
        (b'{"name": "x", "upstream": "h:1", "enabled": "yes"}', "enabled"),
    ],
)
def test_a_bad_json_body_is_a_400_saying_what_is_wrong(
    api: Api, body: bytes, fragment: str
) -> None:
    assert_error(api.call("POST", "/proxies", data=body), 400, fragment)


def test_a_proxy_name_that_exists_is_a_409(api: Api) -> None:
    api.proxy("p", free_port())
    body = {"name": "p", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}
    assert_error(api.post("/proxies", body), 409, "proxy already exists: p")


def test_a_toxic_name_that_exists_is_a_409(api: Api) -> None:
    api.proxy("p", free_port())
    api.toxic("p", type="latency")
    assert_error(api.post("/proxies/p/toxics", {"type": "latency"}), 409, "toxic already exists")


def test_a_listen_port_in_use_is_a_409_naming_the_port(api: Api) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        body = {"name": "p", "listen": f"127.0.0.1:{port}", "upstream": "127.0.0.1:1"}
        assert_error(api.post("/proxies", body), 409, f"127.0.0.1:{port} is already in use")
    assert api.get("/proxies").json() == {}  # nothing half-created


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/proxies/ghost", None),
        ("POST", "/proxies/ghost", {"enabled": False}),
        ("DELETE", "/proxies/ghost", None),
        ("GET", "/proxies/ghost/toxics", None),
        ("POST", "/proxies/ghost/toxics", {"type": "latency"}),
        ("GET", "/proxies/ghost/toxics/latency_downstream", None),
        ("DELETE", "/proxies/ghost/toxics/latency_downstream", None),
    ],
)
def test_an_unknown_proxy_is_a_404(api: Api, method: str, path: str, body: Any) -> None:
    assert_error(api.call(method, path, json=body), 404, "proxy not found: ghost")


def test_an_unknown_toxic_is_a_404(api: Api) -> None:
    api.proxy("p", free_port())
    assert_error(api.post("/proxies/p/toxics/nope", {"toxicity": 0.5}), 404, "toxic not found")
    assert_error(api.delete("/proxies/p/toxics/nope"), 404, "toxic not found: nope")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"type": "latency", "stream": "sideways"}, "stream was invalid"),
        ({"type": "latency", "toxicity": 2}, "toxicity: Input should be less than or equal to 1"),
        ({"type": "latency", "attributes": {"latancy": 1}}, "unknown attribute 'latancy'"),
        ({"type": "latency", "attributes": {"latency": -1}}, "attributes.latency"),
        ({"type": "latency", "attributes": {"latency": "100"}}, "valid integer"),
        ({"type": "slicer", "attributes": {"average_size": 4, "size_variation": 4}}, "smaller"),
        ({"type": "http_abort", "stream": "downstream"}, "its stream is upstream"),
        ({"type": "http_abort", "attributes": {"status": 99}}, "attributes.status"),
        ({"type": "http_delay", "attributes": {"percentage": 101}}, "attributes.percentage"),
    ],
)
def test_a_bad_toxic_is_a_400_naming_the_field(
    api: Api, body: dict[str, Any], fragment: str
) -> None:
    api.proxy("p", free_port())
    assert_error(api.post("/proxies/p/toxics", body), 400, fragment)
    assert api.get("/proxies/p/toxics").json() == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"listen": "127.0.0.1:0"}, "missing required field: name"),
        ({"name": "p", "listen": "127.0.0.1:0"}, "missing required field: upstream"),
        ({"name": "p", "listen": "10.1.2.3:8080", "upstream": "h:1"}, "not on loopback"),
        ({"name": "p", "listen": "127.0.0.1", "upstream": "h:1"}, "is not HOST:PORT"),
        ({"name": "p", "listen": "127.0.0.1:99999", "upstream": "h:1"}, "no usable port"),
        ({"name": "p", "upstream": "h:0"}, "upstream address 'h:0' has no usable port"),
    ],
)
def test_a_bad_proxy_is_a_400(api: Api, body: dict[str, Any], fragment: str) -> None:
    assert_error(api.post("/proxies", body), 400, fragment)


def test_a_browser_is_refused_like_toxiproxy_refuses_it(api: Api) -> None:
    headers = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}
    assert_error(api.call("GET", "/proxies", headers=headers), 403, "User agent not allowed")


def test_an_unknown_endpoint_is_a_404_and_a_wrong_method_a_405(api: Api) -> None:
    assert_error(api.get("/toxics"), 404, "no such endpoint: GET /toxics")
    assert_error(api.delete("/proxies"), 405, "use GET, POST")
