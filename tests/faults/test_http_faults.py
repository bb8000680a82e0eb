"""The HTTP-level toxics (Istio's fault.abort and fault.delay) on real HTTP/1.1 traffic,
with bounded request counts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.faults.conftest import Api
from tests.faults.upstreams import HttpOk, Upstream, serving


@pytest.fixture
def http() -> Iterator[tuple[Upstream, HttpOk]]:
    app = HttpOk()
    with serving(app) as upstream:
        yield upstream, app


@pytest.fixture
def proxy_url(api: Api, http: tuple[Upstream, HttpOk]) -> str:
    return f"http://127.0.0.1:{api.proxy('web', http[0].port)}/"


def get(url: str) -> requests.Response:
    return requests.get(url, timeout=5)


def test_abort_answers_the_status_without_reaching_the_upstream(
    api: Api, http: tuple[Upstream, HttpOk], proxy_url: str
) -> None:
    api.toxic("web", type="http_abort", attributes={"status": 503})
    response = get(proxy_url)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Connection"] == "close"
    assert response.json()["status"] == 503
    assert response.json()["title"] == "Service Unavailable"
    assert http[1].requests == 0
    assert api.stats("web")["requests_aborted"] == 1


def test_abort_with_percentage_zero_lets_everything_through(
    api: Api, http: tuple[Upstream, HttpOk], proxy_url: str
) -> None:
    api.toxic("web", type="http_abort", attributes={"status": 500, "percentage": 0})
    assert [get(proxy_url).status_code for _ in range(20)] == [200] * 20
    assert http[1].requests == 20


def test_abort_hits_about_its_percentage_of_requests(
    api: Api, http: tuple[Upstream, HttpOk], proxy_url: str
) -> None:
    api.toxic("web", type="http_abort", attributes={"status": 502, "percentage": 50})
    statuses = [get(proxy_url).status_code for _ in range(200)]
    aborted = statuses.count(502)
    assert statuses.count(200) + aborted == 200
    assert 60 <= aborted <= 140  # 200 fair coins: outside this about once in 10^8 runs
    assert http[1].requests == 200 - aborted
    assert api.stats("web")["requests_aborted"] == aborted


def test_each_request_on_a_kept_alive_connection_is_judged(
    api: Api, http: tuple[Upstream, HttpOk], proxy_url: str
) -> None:
    api.toxic("web", type="http_delay", attributes={"delay_ms": 100})
    with requests.Session() as session:
        times = []
        for _ in range(4):
            began = time.monotonic()
            assert session.get(proxy_url, timeout=5).text == "ok"
            times.append(time.monotonic() - began)
    assert all(t >= 0.095 for t in times), times
    assert api.stats("web")["connections_total"] == 1
    assert api.stats("web")["requests_delayed"] == 4


def test_delay_holds_the_request_then_forwards_it(
    api: Api, http: tuple[Upstream, HttpOk], proxy_url: str
) -> None:
    api.toxic("web", type="http_delay", attributes={"delay_ms": 300})
    began = time.monotonic()
    assert get(proxy_url).status_code == 200
    assert 0.295 <= time.monotonic() - began < 1.0
    assert http[1].requests == 1


def test_delay_hits_about_its_percentage_of_requests(
    api: Api, http: tuple[Upstream, HttpOk], proxy_url: str
) -> None:
    api.toxic("web", type="http_delay", attributes={"delay_ms": 100, "percentage": 50})
    slow = 0
    for _ in range(40):
        began = time.monotonic()
        assert get(proxy_url).status_code == 200
        slow += time.monotonic() - began >= 0.095
    delayed = api.stats("web")["requests_delayed"]
    assert 8 <= delayed <= 32  # 40 fair coins: outside this about once in 50,000 runs
    assert slow >= delayed  # every delayed request was slow (a loaded machine adds a few)


def test_http_toxics_default_to_the_upstream_stream(api: Api, proxy_url: str) -> None:
    toxic = api.toxic("web", type="http_abort")
    assert (toxic["name"], toxic["stream"]) == ("http_abort_upstream", "upstream")
    assert toxic["attributes"] == {"status": 503, "percentage": 100.0}
