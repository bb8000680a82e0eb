"""A warm `sandbox` for the steps of graded pipeline runs.

Grading lab 05 runs the learner's workflow five times at once, and its steps call `sandbox`
about ten times: `check dockerfile`, `check manifests`, `deploy --publish`, `fire`. Each
call was a new Python process importing the CLI, boto3 and its service models again, 0.1 to
0.7 s of CPU each and half of a grading's CPU on two cores. Here one server process
(server.py) imports all that once per grading and forks a child per call, as
Python's multiprocessing forkserver does; the steps find a small shim (shim.py)
first on PATH, named `sandbox`, which hands the call to the server and exits as the command
did. Commands outside WARM_COMMANDS, or any call when the server cannot be reached, run
the real `sandbox` instead: the shim execs it.

`shared()` is entered by each run of a grading: the first starts the server, the last to
leave stops it. SANDBOX_WARM_CLI=0 turns it off (every call then starts the real CLI).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Short-lived commands with no state of their own in the process. Not `up`, `lab`, `tui`,
# `pipeline`...: they start services or threads that must not be the server's children.
WARM_COMMANDS = ("check", "deploy", "fire", "invoke", "events", "ddb", "s3", "sqs", "release",
                 "rollback")  # fmt: skip
BACKLOG = 64  # calls waiting to be forked: a grading makes about ten, a few at once
SHEBANG_MAX = 255  # bytes Linux reads of a script's first line
STOP_SECONDS = 5.0
SWITCH = "SANDBOX_WARM_CLI"
# With -c, not -m: then click names the commands `sandbox` in their usage, as the console
# script does (it reads the program's name from __main__, which -m would make a package).
SERVER = "import sys; from sandbox.warmcli.server import main; main(sys.argv[1:])"


@dataclass(frozen=True)
class WarmCli:
    folder: Path  # the socket and the `sandbox` shim: put it first on PATH
    server: subprocess.Popen[bytes]


def start(python: str = sys.executable) -> WarmCli | None:
    """The server, started (it is ready a moment later: calls made before then wait for
    it), or None when it cannot be used here: then the real `sandbox` runs every call."""
    shebang = f"#!{python} -IS\n"
    if len(shebang.encode()) > SHEBANG_MAX or not hasattr(os, "pidfd_open"):
        return None  # the shim could not start, or the server could not wait on children
    folder = Path(tempfile.mkdtemp(prefix="sandbox-warm-cli-"))  # mode 0700: ours alone
    socket_path = folder / "cli.sock"
    shim = folder / "sandbox"
    shim.write_text(shebang + shim_source(str(socket_path), real_cli(python)), encoding="utf-8")
    shim.chmod(0o755)
    # Listening before the server even starts: a call made while it imports waits in the
    # backlog instead of finding no socket (and running the real CLI after all).
    with (
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener,
        open(folder / "server.log", "wb") as log,
    ):
        listener.bind(str(socket_path))
        listener.listen(BACKLOG)
        fd = listener.fileno()
        server = subprocess.Popen(
            [python, "-c", SERVER, str(fd), *WARM_COMMANDS],
            pass_fds=[fd],
            stdin=subprocess.PIPE,  # never written: its end of file tells the server we left
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C meant for a step does not reach it
        )
    return WarmCli(folder, server)


def stop(warm: WarmCli) -> None:
    """Close its stdin (it stops, with any command still running), then wait for it."""
    if warm.server.stdin is not None:
        warm.server.stdin.close()
    try:
        warm.server.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        warm.server.kill()
        warm.server.wait()
    shutil.rmtree(warm.folder, ignore_errors=True)


def real_cli(python: str) -> list[str]:
    """How the shim starts the real `sandbox`: the console script next to the interpreter."""
    script = Path(python).parent / "sandbox"
    if os.access(script, os.X_OK):
        return [str(script)]
    return [python, "-c", "import sys; from sandbox.cli import main; sys.exit(main())"]


def shim_source(socket_path: str, real: list[str]) -> str:
    """shim.py with its settings filled in."""
    source = Path(__file__).with_name("shim.py").read_text(encoding="utf-8")
    settings = {
        'SOCKET = ""': f"SOCKET = {socket_path!r}",
        "REAL: list[str] = []": f"REAL: list[str] = {real!r}",
        "WARM: list[str] = []": f"WARM: list[str] = {list(WARM_COMMANDS)!r}",
    }
    for blank, filled in settings.items():
        if blank not in source:
            raise RuntimeError(f"shim.py has no line {blank!r} to fill in")
        source = source.replace(blank, filled, 1)
    return source


class _Shared:
    """One server for the runs that overlap (a grading's), started and stopped by count."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.warm: WarmCli | None = None

    @contextlib.contextmanager
    def use(self) -> Iterator[Path | None]:
        with self.lock:
            if self.users == 0 and os.environ.get(SWITCH, "1") != "0":
                self.warm = _started_or_none()
            self.users += 1
            warm = self.warm
        try:
            yield warm.folder if warm else None
        finally:
            with self.lock:
                self.users -= 1
                if self.users == 0 and self.warm is not None:
                    stop(self.warm)
                    self.warm = None


def _started_or_none() -> WarmCli | None:
    """A speed-up only: when it cannot start (no temp space, no socket), the calls run the
    real CLI and the grading goes on."""
    try:
        return start()
    except OSError:
        return None


_SHARED = _Shared()


def shared() -> contextlib.AbstractContextManager[Path | None]:
    """The folder to put first on PATH while a graded run runs (None: no warm CLI)."""
    return _SHARED.use()
