"""The `sandbox` a graded pipeline's steps find first on PATH (sandbox/warmcli/__init__.py).

It runs as its own script under `python -I -S`: the standard library only, nothing of the
sandbox imported, so it starts in a few milliseconds. The manager writes it with the three
settings below filled in. For a command the warm server runs, it hands the server its
arguments, working directory, environment and standard streams, forwards the signals it
gets to the command, and exits as the command did. For any other command, or when the
server cannot be reached, it becomes the real `sandbox` (exec), so nothing is ever refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys
from typing import BinaryIO, NoReturn

SOCKET = ""  # the warm server's socket
REAL: list[str] = []  # the real CLI: argv before the command's arguments
WARM: list[str] = []  # the commands the server runs (short-lived, no state of their own)
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def main() -> None:
    args = sys.argv[1:]
    if _command(args) not in WARM:
        _become_real(args)
    conn = _connect()
    if conn is None:
        _become_real(args)
    replies = conn.makefile("rb")
    started = _reply(replies)
    if not started:  # the server did not start it (stopping, or it could not fork): nothing ran
        conn.close()
        _become_real(args)
    pid = int(json.loads(started)["pid"])
    for number in FORWARDED:
        signal.signal(number, lambda got, _frame: _send(pid, got))
    _exit_as(_reply(replies))


def _reply(replies: BinaryIO) -> bytes:
    """The server's next line; empty when it closed the connection."""
    try:
        return replies.readline()
    except OSError:  # reset: the server went away
        return b""


def _command(args: list[str]) -> str:
    """The subcommand: the first argument that is not an option of the root group."""
    return next((arg for arg in args if not arg.startswith("-")), "")


def _connect() -> socket.socket | None:
    """Connected, with the request sent; None when the server is not there."""
    old_umask = os.umask(0)
    os.umask(old_umask)
    request = json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ),
                          "umask": old_umask}).encode()  # fmt: skip
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(SOCKET)
        socket.send_fds(conn, [struct.pack("!I", len(request))], [0, 1, 2])
        conn.sendall(request)
    except OSError:
        conn.close()
        return None
    return conn


def _send(pid: int, number: int) -> None:
    with contextlib.suppress(OSError):  # it has just ended: its exit is on its way
        os.kill(pid, number)


def _exit_as(reply: bytes) -> NoReturn:
    """Exit with the command's code, or die of the signal that ended it, as bash expects."""
    if not reply:
        print("sandbox: the warm CLI server stopped before the command ended", file=sys.stderr)
        sys.exit(1)
    code = int(json.loads(reply)["exit"])
    if code < 0:
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code)


def _become_real(args: list[str]) -> NoReturn:
    sys.stdout.flush()
    os.execv(REAL[0], [*REAL, *args])  # noqa: S606  # the real CLI, arguments as given


if __name__ == "__main__":
    main()
