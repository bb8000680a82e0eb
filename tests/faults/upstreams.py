"""Small real servers on 127.0.0.1 for the proxies to forward to, each in threads of the
test process; every one is closed (sockets shut, threads joined) by its context manager."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

Handler = Callable[[socket.socket], None]
IO_TIMEOUT = 10.0  # a handler never waits longer than this for its client


class Upstream:
    """A TCP server running `handler(conn)` in a thread per connection."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # so the accept loop notices close()
        self.port: int = self._listener.getsockname()[1]
        self.connections = 0
        self._open: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(IO_TIMEOUT)
            with self._lock:
                self.connections += 1
                self._open.add(conn)
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self._handler(conn)
        except OSError:
            pass  # the proxy or the test closed or reset the connection
        finally:
            with self._lock:
                self._open.discard(conn)
            conn.close()

    def close(self) -> None:
        self._stopping.set()
        self._acceptor.join(5)
        self._listener.close()
        with self._lock:
            still_open = list(self._open)
        for conn in still_open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)


@contextlib.contextmanager
def serving(handler: Handler) -> Iterator[Upstream]:
    upstream = Upstream(handler)
    try:
        yield upstream
    finally:
        upstream.close()


def echo(conn: socket.socket) -> None:
    """Sends back whatever arrives, until the client closes."""
    while data := conn.recv(65536):
        conn.sendall(data)


def send_then_close(payload: bytes) -> Handler:
    """Sends `payload` at once, then closes."""

    def handler(conn: socket.socket) -> None:
        conn.sendall(payload)

    return handler


def send_then_wait(payload: bytes) -> Handler:
    """Sends `payload` in one write, then waits for the client to close."""

    def handler(conn: socket.socket) -> None:
        conn.sendall(payload)
        while conn.recv(65536):
            pass

    return handler


class HttpOk:
    """An HTTP/1.1 server answering every request 200 "ok" on kept-alive connections;
    `requests` counts the requests that reached it."""

    BODY = b"ok"

    def __init__(self) -> None:
        self.requests = 0
        self._lock = threading.Lock()

    def __call__(self, conn: socket.socket) -> None:
        buffer = b""
        while data := conn.recv(65536):
            buffer += data
            while b"\r\n\r\n" in buffer:
                _, buffer = buffer.split(b"\r\n\r\n", 1)  # GETs only: no bodies
                with self._lock:
                    self.requests += 1
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: 2\r\n\r\n" + self.BODY
                )
