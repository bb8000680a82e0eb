"""The parts that need no server: addresses, body parsing, the request framer, slicing."""

from __future__ import annotations

import random
import subprocess
import sys
import typing

import pytest

from sandbox.faults import model, schema
from sandbox.faults.addresses import AddressError, parse_listen, parse_upstream
from sandbox.faults.http1 import RequestFramer, abort_response
from sandbox.faults.model import ApiError
from sandbox.faults.schema import SlicerAttributes
from sandbox.faults.toxics import KINDS, Slicer


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("0.0.0.0:8080", "127.0.0.1:8080"),
        ("[::]:8080", "127.0.0.1:8080"),
        (":8080", "127.0.0.1:8080"),
        ("localhost:0", "127.0.0.1:0"),
        ("127.0.0.2:80", "127.0.0.2:80"),
        ("[::1]:80", "[::1]:80"),
    ],
)
def test_listen_stays_on_loopback(given: str, kept: str) -> None:
    assert str(parse_listen(given)) == kept


@pytest.mark.parametrize("given", ["192.168.1.5:80", "example.com:80", "10.0.0.1:0"])
def test_listen_off_loopback_is_refused_with_what_to_write(given: str) -> None:
    with pytest.raises(AddressError, match=r"listen on 127\.0\.0\.1 only"):
        parse_listen(given)


def test_upstream_may_be_any_host_with_a_port() -> None:
    assert str(parse_upstream("redis:6379")) == "redis:6379"
    with pytest.raises(AddressError, match="no usable port"):
        parse_upstream("redis:0")


def test_toxic_defaults_follow_toxiproxy() -> None:
    toxic = model.toxic_to_create({"type": "bandwidth"})
    assert (toxic.name, toxic.stream, toxic.toxicity) == ("bandwidth_downstream", "downstream", 1)
    assert toxic.attributes.model_dump() == {"rate": 0}


def test_a_toxic_update_keeps_name_type_and_stream() -> None:
    current = model.toxic_to_create({"type": "latency", "stream": "upstream", "name": "x"})
    body = {"name": "y", "type": "timeout", "stream": "downstream", "attributes": {"latency": 9}}
    updated = model.toxic_after_update(current, body)
    assert (updated.name, updated.type, updated.stream) == ("x", "latency", "upstream")
    assert updated.attributes.model_dump() == {"latency": 9, "jitter": 0}


def test_populate_refuses_duplicate_names_in_one_list() -> None:
    item = {"name": "a", "upstream": "h:1"}
    with pytest.raises(ApiError, match="duplicate proxy name in the list: a"):
        model.proxies_to_populate([item, item])


def test_every_toxic_type_has_attributes_and_a_behaviour() -> None:
    assert set(KINDS) == set(schema.ATTRIBUTES)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_behaviour_takes_the_attributes_of_its_own_type(kind: str) -> None:
    hints = typing.get_type_hints(KINDS[kind].__init__, localns=vars(schema))
    assert hints["attrs"] is schema.ATTRIBUTES[kind]


def test_the_server_starts_without_the_libraries_only_a_request_needs() -> None:
    # pydantic checks bodies and psutil names a port's owner: ~13 MB an idle stack never uses
    heavy = ("pydantic", "psutil", "urllib.request")
    code = f"import sys, sandbox.faults.server; print([m for m in {heavy} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_framer_marks_each_request_of_a_pipelined_stream() -> None:
    get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    post = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nGET /"  # a body that looks like a head
    chunked = (
        b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\nT: v\r\n\r\n"
    )
    stream = get + post + chunked + b"\r\n" + get
    pieces = RequestFramer().split(stream)
    assert b"".join(piece for _, piece in pieces) == stream
    assert [piece for starts, piece in pieces if starts] == [get, post, chunked + b"\r\n", get]


def test_the_framer_holds_nothing_back_when_bytes_come_one_by_one() -> None:
    stream = (
        b"GET /1 HTTP/1.1\r\n\r\n"
        b"POST /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nok"
        b"GET /3 HTTP/1.1\r\n\r\n"
    )
    framer = RequestFramer()
    pieces = [piece for i in range(len(stream)) for piece in framer.split(stream[i : i + 1])]
    assert b"".join(piece for _, piece in pieces) == stream
    assert sum(starts for starts, _ in pieces) == 3


def test_the_framer_passes_an_upgraded_stream_through() -> None:
    head = b"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    framer = RequestFramer()
    framer.split(head)
    assert framer.split(b"GET / HTTP/1.1\r\n\r\n") == [(False, b"GET / HTTP/1.1\r\n\r\n")]


def test_an_abort_response_is_complete_http_with_a_problem_body() -> None:
    response = abort_response(503, "http_abort_upstream")
    head, body = response.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert f"Content-Length: {len(body)}".encode() in head
    assert b"Connection: close" in head


@pytest.mark.parametrize(("average", "variation"), [(1, 0), (10, 4), (100, 99)])
def test_slices_cover_the_chunk_within_their_sizes(average: int, variation: int) -> None:
    random.seed(7)
    slicer = Slicer(SlicerAttributes(average_size=average, size_variation=variation))
    for size in (1, 37, 1000):
        cuts = slicer.cuts(0, size)
        sizes = [end - start for start, end in zip([0, *cuts], cuts, strict=False)]
        assert cuts[-1] == size
        assert all(0 < s <= average + variation for s in sizes), sizes
