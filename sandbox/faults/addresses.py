"""Listen and upstream addresses: ``host:port`` or ``[v6-address]:port``.

A proxy listens on loopback only. The wildcard hosts (``0.0.0.0``, ``[::]``, an empty host as
in ``:8080``) and ``localhost`` are read as ``127.0.0.1``, so configurations written for
Toxiproxy in a container keep working; any other host off loopback is refused, since the
sandbox never opens a port to the network. Upstreams may be any host: they are dialled, not
opened.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
READ_AS_LOOPBACK = frozenset({"", "0.0.0.0", "::", "localhost"})


class AddressError(ValueError):
    """The text is not a usable address; the message says why and what to write instead."""


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_listen(text: str) -> Address:
    """Where a proxy listens; port 0 asks the kernel for a free port."""
    host, port = _split(text, "listen")
    if host.lower() in READ_AS_LOOPBACK:
        return Address(LOOPBACK, _port(port, text, "listen", lowest=0))
    if not _is_loopback(host):
        raise AddressError(
            f"listen address {text!r} is not on loopback: the sandbox's proxies listen on "
            f"127.0.0.1 only (write 127.0.0.1:PORT; 0.0.0.0:PORT is read as 127.0.0.1:PORT)"
        )
    return Address(host, _port(port, text, "listen", lowest=0))


def parse_upstream(text: str) -> Address:
    """Where a proxy connects for each client."""
    host, port = _split(text, "upstream")
    if not host:
        raise AddressError(f"upstream address {text!r} has no host: write HOST:PORT")
    return Address(host, _port(port, text, "upstream", lowest=1))


def _split(text: str, field: str) -> tuple[str, str]:
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    if not sep or ":" in port:
        raise AddressError(f"{field} address {text!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
    return host, port


def _port(raw: str, text: str, field: str, lowest: int) -> int:
    if not raw.isdigit() or not lowest <= int(raw) <= 65535:
        raise AddressError(
            f"{field} address {text!r} has no usable port: write a number from {lowest} to 65535"
        )
    return int(raw)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
