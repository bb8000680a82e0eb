"""Start, watch and stop one server process; shared by every launcher."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from sandbox.errors import PortInUseError, ServiceStartError
from sandbox.readiness import Readiness
from sandbox.services import pids

LOG_TAIL_LINES = 20


@dataclass
class ServerProcess:
    """A running server started by us: its process, where it listens and where it logs."""

    service: str
    popen: subprocess.Popen[bytes]
    port: int
    url: str
    log_path: Path
    stop_signal: int = signal.SIGTERM
    started_at: float = field(default_factory=time.time)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def poll(self) -> int | None:
        """None while it runs, else its exit code (negative: the signal that ended it)."""
        return self.popen.poll()

    def stop(self, timeout: float = 15.0) -> int | None:
        """Ask the server to stop, escalate to SIGKILL after `timeout`; return its exit code."""
        return terminate(self.popen, self.stop_signal, timeout)


@dataclass
class AdoptedProcess:
    """A server started by an earlier supervisor that died: not our child, so we watch it
    by PID (and create time) and cannot learn its exit code."""

    service: str
    pid: int
    created: float | None
    log_path: Path
    stop_signal: int = signal.SIGTERM
    started_at: float = field(default_factory=time.time)

    def alive(self) -> bool:
        return pids.alive(self.pid, self.created)

    def poll(self) -> int | None:
        return None if self.alive() else EXIT_UNKNOWN

    def stop(self, timeout: float = 15.0) -> int | None:
        pids.terminate(self.pid, self.created, timeout, self.stop_signal)
        return None


Server = ServerProcess | AdoptedProcess  # what the supervisor watches

EXIT_UNKNOWN = -(2**31)  # what poll() answers for an adopted process that has exited


def describe_exit(code: int | None) -> str:
    """'exited with code 3', 'was killed by signal SIGKILL', or why we cannot tell."""
    if code is None or code == EXIT_UNKNOWN:
        return "exited (code unknown: it was started by an earlier supervisor)"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by signal {name}"
    return f"exited with code {code}"


def terminate(popen: subprocess.Popen[bytes], sig: int, timeout: float) -> int:
    """Send `sig` to the process we started (by PID), wait, then SIGKILL if it lingers."""
    if popen.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            popen.send_signal(sig)
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(5)
    pids.end_group(popen.pid)  # spawn() made it a group leader: its children go with it
    return popen.returncode


def ensure_port_free(service: str, port: int, env_var: str) -> None:
    """Fail with the owner's name when something already listens on 127.0.0.1:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Like the servers themselves: TIME_WAIT leftovers of a stopped server don't count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            return
        except OSError:
            pass
    owner = port_owner(port)
    if owner == CLOSING:
        raise PortInUseError(
            service,
            f"port {port} on 127.0.0.1 is held by a connection that is closing (no process "
            "listens on it: the port was the local end of a recent connection)",
            f"run it again in a minute, when the system frees it, or choose another port "
            f"with {env_var}=<port>",
        )
    raise PortInUseError(
        service,
        f"port {port} on 127.0.0.1 is already in use" + (f" by {owner}" if owner else ""),
        f"stop that process, or choose another port with {env_var}=<port>",
    )


CLOSING = "closing connections"  # port_owner: only TIME_WAIT sockets hold the port


def port_owner(port: int) -> str:
    """Describe the process listening on `port`; CLOSING when no process does but closed
    connections that used it as their local port still hold it (TIME_WAIT, up to a minute);
    '' when it cannot be seen."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return ""
    mine = [conn for conn in conns if conn.laddr and conn.laddr.port == port]
    for conn in mine:
        if conn.status == psutil.CONN_LISTEN:
            return _describe_pid(conn.pid)
    if mine and all(conn.status == psutil.CONN_TIME_WAIT for conn in mine):
        return CLOSING
    return ""


def _describe_pid(pid: int | None) -> str:
    if pid is None:
        return "another process"
    try:
        return f"{psutil.Process(pid).name()} (pid {pid})"
    except psutil.Error:
        return f"pid {pid}"


# The service's program runs only once its PID is on disk: spawn() starts this shell, which
# waits for a line on stdin and then execs the program (same PID, same create time). The
# parent writes the record first and then sends the line; if the parent dies before that,
# `read` meets end of file and the shell exits, so no server ever runs unrecorded.
GATE = 'read -r _ || exit 1; exec "$@" </dev/null'


def spawn(
    service: str,
    argv: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` in its own session, stdout and stderr appended to `log_path`; its PID is
    recorded beside the log before its program runs (see sandbox.services.pids)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if cwd is not None and not cwd.is_dir():
        raise ServiceStartError(
            service,
            f"its working directory {cwd} does not exist",
            "create it, or point the service at an existing folder",
        )
    if not _runnable(argv[0], env, cwd):  # the gate's exec would only fail in the log
        raise ServiceStartError(service, f"could not run {argv[0]}: no such executable file")
    with log_path.open("ab") as log:
        go_read, go_write = os.pipe()  # not inherited: only the gate gets go_read (as stdin)
        try:
            popen = subprocess.Popen(
                ["/bin/sh", "-c", GATE, service, *argv],
                stdin=go_read,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,  # a Ctrl-C in the terminal must not reach it directly
                user=user,
                group=_primary_group(user) if user else None,
                extra_groups=[] if user else None,  # drop root's supplementary groups too
            )
        except BaseException as err:
            os.close(go_write)
            if isinstance(err, OSError):
                problem = f"could not run {argv[0]}: {err.strerror}"
                raise ServiceStartError(service, problem) from err
            raise
        finally:
            os.close(go_read)
    try:
        # Written by us, not the child: a service running as another user may not write here.
        pids.record(pids.pid_file(log_path), popen.pid)
        with contextlib.suppress(OSError):  # the gate already died: poll() will tell
            os.write(go_write, b"go\n")
    finally:
        os.close(go_write)  # never left open: the gate would wait for it forever
    return popen


def _runnable(program: str, env: Mapping[str, str] | None, cwd: Path | None) -> bool:
    """Whether exec would find `program` (a path is relative to `cwd`, a name is on PATH)."""
    if os.sep in program:
        return shutil.which(os.path.join(cwd or ".", program)) is not None
    return shutil.which(program, path=os.pathsep.join(os.get_exec_path(env))) is not None


def _primary_group(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_gid


def wait_until_ready(server: ServerProcess, is_ready: Readiness, timeout: float) -> None:
    """Poll `is_ready` until it is true; stop the server and explain if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise ServiceStartError(
                server.service,
                f"exited during start ({describe_exit(server.popen.returncode)})",
                f"read the log at {server.log_path}",
                log_tail=tail(server.log_path),
            )
        if is_ready():
            return
        time.sleep(0.05)
    server.stop(timeout=5)
    raise ServiceStartError(
        server.service,
        f"did not become ready within {timeout:.0f} s (probe: {is_ready.describe()})",
        f"read the log at {server.log_path}",
        log_tail=tail(server.log_path),
    )


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file, '' when there is none."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            data = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def free_ports(count: int = 1) -> list[int]:
    """Ports nothing listens on now; all sockets open at once so the kernel hands out
    distinct ones (for tests, benchmarks and isolated lab validation)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
