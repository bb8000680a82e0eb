"""The warm CLI server, `main(FD COMMAND...)`: FD is a listening Unix socket it inherits
(sandbox/warmcli/__init__.py binds it and starts the server).

It imports the CLI and what the COMMANDs need (boto3 and its service models, the static
graders) once, then forks a child per request: the child takes the shim's standard streams,
working directory, environment and umask, runs `sandbox ARGS` as the console script would,
and exits. Its parent reports how it ended. The server is single-threaded (forking a process
with threads is unsafe) and waits on everything at once with a selector.

It stops when its stdin reaches end of file (whoever started it is gone) or on SIGTERM,
and takes its running children with it. A child whose shim disappears (killed) is killed.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import struct
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass
from typing import Any, NoReturn

REQUEST_TIMEOUT = 5.0  # seconds a connected shim has to send its request
AWS_SERVICES = ("lambda", "s3", "sqs", "sns", "events", "dynamodb", "apigateway", "logs", "sts")
MODULES = ("sandbox.static.dockerfile", "sandbox.static.manifests")  # what `check` imports late


@dataclass
class Running:
    conn: socket.socket
    pid: int
    pidfd: int


def main(argv: list[str]) -> None:
    listener = socket.socket(fileno=int(argv[0]))
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:  # a kernel before 5.3: no way to wait on children here; the shims,
        return  # refused, run the real CLI
    preload(argv[1:])
    gc.freeze()  # the children's collections skip the preloaded heap: fewer pages copied
    Server(listener).serve()


def preload(commands: list[str]) -> None:
    """Import the CLI and the commands' modules, and load boto3's service models into its
    default session, which the children's clients are made from."""
    from sandbox.cli import COMMANDS
    from sandbox.cli_lazy import load

    for name in commands:
        load(COMMANDS[name].target)
    for module in MODULES:
        importlib.import_module(module)
    import boto3

    from sandbox.aws.clients import CREDENTIALS
    from sandbox.aws.names import REGION

    factory: Any = boto3.client  # typed per service by the stubs; here the name is a variable
    for service in AWS_SERVICES:  # made and dropped: what stays is the loaded models
        factory(service, endpoint_url="http://127.0.0.1:9", region_name=REGION, **CREDENTIALS)


class Stopped(BaseException):
    """Raised to leave the server's loop (a signal handler cannot end a select otherwise)."""


def _stopped(*_: object) -> NoReturn:
    raise Stopped


class Server:
    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.selector = selectors.DefaultSelector()
        self.running: dict[int, Running] = {}  # by pidfd

    def serve(self) -> None:
        signal.signal(signal.SIGTERM, _stopped)
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "parent")
        server = os.getpid()
        try:
            while True:
                for key, _ in self.selector.select():
                    try:
                        self._handle(key)
                    except Exception:  # one call's trouble must not end the others
                        traceback.print_exc()
        except Stopped:
            if os.getpid() != server:  # a child not yet itself: never the server's cleanup
                os._exit(1)
        for run in list(self.running.values()):  # their shims read end of file: stopped
            _kill(run.pid)
            os.waitpid(run.pid, 0)
            self._forget(run)

    def _handle(self, key: selectors.SelectorKey) -> None:
        if key.data == "accept":
            self._accept()
        elif key.data == "parent":  # end of file: whoever started the server is gone
            raise Stopped
        elif key.data == "ended":
            self._ended(self.running[key.fd])
        else:
            self._shim_gone(key.data)

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        try:
            request, fds = _read_request(conn)
        except (OSError, ValueError):
            conn.close()
            return
        try:
            pid = os.fork()
        except OSError:  # closed unanswered: the shim runs the real CLI instead
            _close(fds)
            conn.close()
            raise
        if pid == 0:
            self._become_the_command(conn, request, fds)
        _close(fds)  # the child's copies are the ones in use
        pidfd = os.pidfd_open(pid)
        run = Running(conn, pid, pidfd)
        self.running[pidfd] = run
        with contextlib.suppress(OSError):  # a shim gone already: its end of file says so
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        self.selector.register(pidfd, selectors.EVENT_READ, "ended")
        self.selector.register(conn, selectors.EVENT_READ, run)

    def _become_the_command(
        self, conn: socket.socket, request: dict[str, Any], fds: list[int]
    ) -> NoReturn:
        with contextlib.suppress(Exception):
            self.selector.close()
            self.listener.close()
            conn.close()
            for run in self.running.values():
                run.conn.close()
                os.close(run.pidfd)
        run_command(request, fds)

    def _ended(self, run: Running) -> None:
        _, status = os.waitpid(run.pid, 0)
        with contextlib.suppress(OSError):
            run.conn.sendall(
                json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n"
            )
        self._forget(run)

    def _shim_gone(self, run: Running) -> None:
        """The shim closed its end (it was killed): its command goes too."""
        _kill(run.pid)
        self.selector.unregister(run.conn)

    def _forget(self, run: Running) -> None:
        for item in (run.pidfd, run.conn):
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(item)
        del self.running[run.pidfd]
        os.close(run.pidfd)
        run.conn.close()


def _read_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    conn.settimeout(REQUEST_TIMEOUT)
    header, fds, _, _ = socket.recv_fds(conn, 4, 3)
    if len(header) != 4 or len(fds) != 3:
        _close(fds)
        raise ValueError("a request is 4 bytes of length and three file descriptors")
    try:
        body = _read_body(conn, struct.unpack("!I", header)[0])
    except (OSError, ValueError):
        _close(fds)  # not the child's: nothing will use them
        raise
    conn.settimeout(None)
    return body, fds


def _read_body(conn: socket.socket, size: int) -> dict[str, Any]:
    body = b""
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise ValueError("the request ended early")
        body += chunk
    loaded: dict[str, Any] = json.loads(body)
    return loaded


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def _kill(pid: int) -> None:
    """The command and whatever it started: it leads a process group of its own."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def run_command(request: dict[str, Any], fds: list[int]) -> NoReturn:
    """In the child: take the shim's place, run `sandbox ARGS`, exit as the script would."""
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    os.setsid()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.umask(int(request["umask"]))
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None  # found again from this environment's TMPDIR
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _reopen_streams()
    sys.argv = ["sandbox", *request["argv"]]
    code = _run_main()
    _finish()
    os._exit(code)


def _reopen_streams() -> None:
    """Text streams on the new descriptors, made as CPython makes its own at start: stdin
    buffered, stdout line-buffered on a terminal, stderr line-buffered, and with
    PYTHONUNBUFFERED the output streams on the raw descriptors."""
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    encoding = os.environ.get("PYTHONIOENCODING", "").split(":")[0] or "utf-8"
    # The streams live as long as the process: no context manager closes them.
    sys.stdin = io.TextIOWrapper(open(0, "rb", closefd=False), encoding=encoding)  # noqa: SIM115
    for fd, name in ((1, "stdout"), (2, "stderr")):
        raw = open(fd, "wb", buffering=0 if unbuffered else -1, closefd=False)  # noqa: SIM115
        stream = io.TextIOWrapper(
            raw,
            encoding=encoding,
            errors="backslashreplace" if fd == 2 else "strict",
            line_buffering=fd == 2 or os.isatty(fd),
            write_through=unbuffered,
        )
        setattr(sys, name, stream)


def _run_main() -> int:
    """`sys.exit(main())`, as the console script does; the exit code it would have had."""
    from sandbox.cli import main

    try:
        result: Any = main()  # type: ignore[func-returns-value]  # as the console script
    except SystemExit as exit_:
        result = exit_.code
    except KeyboardInterrupt:
        _finish()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)  # die of it, as Python does
        return 130
    except BaseException:
        traceback.print_exc()
        return 1
    if result is None or isinstance(result, int):
        return result or 0
    print(result, file=sys.stderr)
    return 1


def _finish() -> None:
    """What the interpreter does at exit: wait for non-daemon threads, run atexit, flush."""
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
