"""Readiness checks shared by the launchers and both stack backends: HTTP, TCP, command.

Each check is a small callable returning True once the service answers; `describe()` says
what it probes, for error messages and `sandbox status`.
"""

from __future__ import annotations

import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Readiness(Protocol):
    def __call__(self) -> bool: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class HttpCheck:
    """GET `url` answers with `status` (and, if given, a body containing `contains`)."""

    url: str
    status: int = 200
    contains: bytes = b""
    timeout: float = 1.0

    def __call__(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as response:  # noqa: S310
                return bool(response.status == self.status and self.contains in response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def describe(self) -> str:
        return f"GET {self.url} -> {self.status}"


@dataclass(frozen=True)
class TcpCheck:
    """127.0.0.1:`port` accepts a connection (and answers `send` with a reply starting
    with `expect`, e.g. a Redis PING)."""

    port: int
    send: bytes = b""
    expect: bytes = b""
    timeout: float = 1.0

    def __call__(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout) as sock:
                if not self.send:
                    return True
                sock.sendall(self.send)
                return sock.recv(len(self.expect) or 1).startswith(self.expect)
        except OSError:
            return False

    def describe(self) -> str:
        probe = f" ({self.send.strip().decode(errors='replace')})" if self.send else ""
        return f"tcp 127.0.0.1:{self.port}{probe}"


@dataclass(frozen=True)
class CommandCheck:
    """`argv` exits with code 0 (e.g. pg_isready)."""

    argv: Sequence[str]
    timeout: float = 3.0

    def __call__(self) -> bool:
        try:
            result = subprocess.run(
                list(self.argv), capture_output=True, timeout=self.timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return result.returncode == 0

    def describe(self) -> str:
        return " ".join(self.argv)


def redis_ping(port: int) -> TcpCheck:
    return TcpCheck(port, send=b"PING\r\n", expect=b"+PONG")
