"""The documented Toxiproxy requests, with their exact status codes and JSON shapes."""

from __future__ import annotations

import socket

import pytest

from tests.faults.conftest import Api
from tests.faults.upstreams import echo, serving
from tests.helpers import free_port

PROXY_KEYS = {"name", "listen", "upstream", "enabled", "toxics", "stats"}
TOXIC_KEYS = {"name", "type", "stream", "toxicity", "attributes"}


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_version_answers_json_with_a_version(api: Api) -> None:
    response = api.get("/version")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["version"].startswith("2.")


def test_create_proxy_answers_201_with_the_proxy_enabled_and_no_toxics(api: Api) -> None:
    port = free_port()
    body = {"name": "redis", "listen": f"127.0.0.1:{port}", "upstream": "127.0.0.1:6379"}
    response = api.post("/proxies", body)
    assert response.status_code == 201
    proxy = response.json()
    assert set(proxy) == PROXY_KEYS
    assert proxy | {"stats": None} == {**body, "enabled": True, "toxics": [], "stats": None}
    assert proxy["stats"]["connections_total"] == 0


def test_listen_port_zero_is_answered_with_the_port_chosen(api: Api) -> None:
    port = api.proxy("any", free_port())
    assert api.get("/proxies/any").json()["listen"] == f"127.0.0.1:{port}"
    assert port > 0
    assert not refused(port)


def test_a_wildcard_listen_is_kept_on_loopback(api: Api) -> None:
    port = free_port()
    response = api.post("/proxies", {"name": "w", "listen": f"0.0.0.0:{port}", "upstream": "h:1"})
    assert response.status_code == 201
    assert response.json()["listen"] == f"127.0.0.1:{port}"


def test_get_proxies_is_a_map_from_name_to_proxy(api: Api) -> None:
    api.proxy("one", free_port())
    api.proxy("two", free_port())
    proxies = api.get("/proxies").json()
    assert sorted(proxies) == ["one", "two"]
    assert all(set(proxy) == PROXY_KEYS for proxy in proxies.values())


def test_get_one_proxy_and_a_missing_one(api: Api) -> None:
    api.proxy("one", free_port())
    assert api.get("/proxies/one").json()["name"] == "one"
    missing = api.get("/proxies/nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": "proxy not found: nope", "status": 404}


def test_disabling_a_proxy_stops_it_listening_and_enabling_brings_it_back(api: Api) -> None:
    with serving(echo) as upstream:
        port = api.proxy("p", upstream.port)
        response = api.post("/proxies/p", {"enabled": False})
        assert response.status_code == 200
        assert response.json()["enabled"] is False
        assert refused(port)
        again = api.call("PATCH", "/proxies/p", json={"enabled": True})
        assert again.status_code == 200
        assert again.json()["enabled"] is True
        assert not refused(port)


def test_updating_the_upstream_keeps_the_other_fields(api: Api) -> None:
    port = api.proxy("p", free_port())
    response = api.post("/proxies/p", {"upstream": "127.0.0.1:9"})
    assert response.status_code == 200
    proxy = response.json()
    assert (proxy["upstream"], proxy["listen"], proxy["enabled"]) == (
        "127.0.0.1:9",
        f"127.0.0.1:{port}",
        True,
    )


def test_delete_proxy_answers_204_and_stops_listening(api: Api) -> None:
    port = api.proxy("p", free_port())
    response = api.delete("/proxies/p")
    assert response.status_code == 204
    assert response.content == b""
    assert refused(port)
    assert api.delete("/proxies/p").status_code == 404


def test_populate_creates_the_list_and_answers_201(api: Api) -> None:
    listens = [f"127.0.0.1:{port}" for port in (free_port(), free_port())]
    body = [
        {"name": "one", "listen": listens[0], "upstream": "127.0.0.1:7171"},
        {"name": "two", "listen": listens[1], "upstream": "127.0.0.1:7474"},
    ]
    response = api.post("/populate", body)
    assert response.status_code == 201
    proxies = response.json()["proxies"]
    assert [(p["name"], p["listen"], p["enabled"]) for p in proxies] == [
        ("one", listens[0], True),
        ("two", listens[1], True),
    ]


def test_populate_leaves_an_unchanged_proxy_alone_and_replaces_a_changed_one(api: Api) -> None:
    listen = f"127.0.0.1:{free_port()}"
    same = {"name": "same", "listen": listen, "upstream": "127.0.0.1:1000"}
    api.post("/populate", [same])
    api.toxic("same", type="latency", attributes={"latency": 10})
    assert api.post("/populate", [same]).status_code == 201
    assert len(api.get("/proxies/same/toxics").json()) == 1  # untouched: the toxic stays
    moved = {**same, "upstream": "127.0.0.1:2000"}
    assert api.post("/populate", [moved]).json()["proxies"][0]["upstream"] == "127.0.0.1:2000"
    assert api.get("/proxies/same/toxics").json() == []  # replaced: a new proxy


def test_populate_checks_every_proxy_before_creating_any(api: Api) -> None:
    body = [{"name": "fine", "upstream": "127.0.0.1:1"}, {"upstream": "127.0.0.1:2"}]
    response = api.post("/populate", body)
    assert response.status_code == 400
    assert response.json() == {"error": "missing required field: name at proxy 2", "status": 400}
    assert api.get("/proxies").json() == {}


def test_toxic_create_answers_200_with_toxiproxy_defaults(api: Api) -> None:
    api.proxy("p", free_port())
    response = api.post("/proxies/p/toxics", {"type": "latency", "attributes": {"latency": 5}})
    assert response.status_code == 200
    assert response.json() == {
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
        "attributes": {"latency": 5, "jitter": 0},
    }


@pytest.mark.parametrize(
    ("kind", "attributes"),
    [
        ("latency", {"latency": 0, "jitter": 0}),
        ("bandwidth", {"rate": 0}),
        ("slow_close", {"delay": 0}),
        ("timeout", {"timeout": 0}),
        ("reset_peer", {"timeout": 0}),
        ("slicer", {"average_size": 1, "size_variation": 0, "delay": 0}),
        ("limit_data", {"bytes": 0}),
    ],
)
def test_each_toxiproxy_type_has_its_documented_attributes(
    api: Api, kind: str, attributes: dict[str, int]
) -> None:
    api.proxy("p", free_port())
    given = {"average_size": 1} if kind == "slicer" else {}
    toxic = api.toxic("p", type=kind, stream="upstream", attributes=given)
    assert toxic["attributes"] == attributes
    assert toxic["name"] == f"{kind}_upstream"


def test_toxics_list_get_update_delete(api: Api) -> None:
    api.proxy("p", free_port())
    api.toxic("p", type="latency", name="slow", stream="upstream", attributes={"latency": 5})
    api.toxic("p", type="timeout", attributes={"timeout": 100}, toxicity=0.5)
    listed = api.get("/proxies/p/toxics").json()
    assert [(t["name"], t["stream"]) for t in listed] == [
        ("slow", "upstream"),
        ("timeout_downstream", "downstream"),
    ]
    assert all(set(toxic) == TOXIC_KEYS for toxic in listed)
    assert api.get("/proxies/p/toxics/slow").json()["attributes"] == {"latency": 5, "jitter": 0}

    updated = api.post("/proxies/p/toxics/slow", {"attributes": {"jitter": 2}})
    assert updated.status_code == 200
    assert updated.json()["attributes"] == {"latency": 5, "jitter": 2}  # merged
    patched = api.call("PATCH", "/proxies/p/toxics/slow", json={"toxicity": 0.25})
    assert patched.json()["toxicity"] == 0.25
    assert api.get("/proxies/p").json()["toxics"][0]["toxicity"] == 0.25

    deleted = api.delete("/proxies/p/toxics/slow")
    assert deleted.status_code == 204
    assert api.get("/proxies/p/toxics/slow").status_code == 404
    assert [t["name"] for t in api.get("/proxies/p/toxics").json()] == ["timeout_downstream"]


def test_reset_removes_every_toxic_and_enables_every_proxy(api: Api) -> None:
    port = api.proxy("p", free_port())
    api.proxy("q", free_port())
    api.toxic("p", type="latency", attributes={"latency": 5})
    api.post("/proxies/p", {"enabled": False})
    response = api.post("/reset")
    assert response.status_code == 204
    proxies = api.get("/proxies").json()
    assert all(proxy["toxics"] == [] and proxy["enabled"] for proxy in proxies.values())
    assert not refused(port)


def test_stats_count_connections_and_bytes_each_way(api: Api) -> None:
    with serving(echo) as upstream:
        port = api.proxy("p", upstream.port)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"hello")
            assert sock.recv(100) == b"hello"
            assert api.stats("p")["connections_active"] == 1
    stats = api.stats("p")
    assert stats["connections_total"] == 1
    assert (stats["bytes_upstream"], stats["bytes_downstream"]) == (5, 5)
