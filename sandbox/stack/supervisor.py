"""The supervisor: a small process that outlives `sandbox up`, runs the services, restarts
the ones that die, and keeps `<home>/stack.json` current.

    python -m sandbox.stack.supervisor [--detach]   (reads SANDBOX_* like every command)

One thread per service. A service that fails its first start is marked failed at once (so
`up` can report it); one that dies later is restarted with backoff, at most MAX_RESTARTS
times in a row, then marked failed. SIGTERM stops the app first, then the rest.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from sandbox.config import Settings
from sandbox.errors import SandboxError
from sandbox.services.process import ServerProcess, tail
from sandbox.stack import statefile
from sandbox.stack.launch import Launcher, launchers
from sandbox.stack.model import LastExit, ServiceStatus, StackStatus, State
from sandbox.stack.specs import STOP_ORDER, ServiceSpec, service_specs

POLL_SECONDS = 0.2  # how fast a dead process is noticed
HEALTH_EVERY_SECONDS = 2.0
MAX_RESTARTS = 5
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0)
STABLE_AFTER_SECONDS = 60.0  # up this long: the next crash starts a fresh backoff
PAUSED = -(10**6)  # _watch's answer when a pause file asks for the service to be stopped

log = logging.getLogger("sandbox.supervisor")


class Recorder:
    """The stack's status, shared by the runner threads and written on every change."""

    def __init__(self, home: Path, specs: dict[str, ServiceSpec]) -> None:
        self.home = home
        self.lock = threading.Lock()
        self.status = StackStatus(
            backend="embedded",
            home=str(home),
            supervisor_pid=os.getpid(),
            launch_id=os.environ.get("SANDBOX_LAUNCH_ID", ""),
            services={n: ServiceStatus(n, State.STOPPED, s.port, s.url) for n, s in specs.items()},
        )
        self.changed = threading.Condition(self.lock)

    def update(self, name: str, **changes: Any) -> None:
        with self.lock:
            service = self.status.services[name]
            for key, value in changes.items():
                setattr(service, key, value)
            statefile.write(self.home, self.status)
            self.changed.notify_all()

    def state(self, name: str) -> State:
        with self.lock:
            return self.status.services[name].state

    def finish(self) -> None:
        with self.lock:
            self.status.supervisor_pid = None
            statefile.write(self.home, self.status)


class ServiceRunner(threading.Thread):
    def __init__(
        self,
        spec: ServiceSpec,
        launch: Launcher,
        recorder: Recorder,
        deps_ready: Callable[[], State | None],
    ) -> None:
        super().__init__(name=f"runner-{spec.name}", daemon=True)
        self.spec = spec
        self.launch = launch
        self.recorder = recorder
        self.deps_ready = deps_ready
        self.stop_requested = threading.Event()
        self.consecutive = 0

    def request_stop(self) -> None:
        self.stop_requested.set()

    @property
    def pause_file(self) -> Path:
        return pause_file(self.recorder.home, self.spec.name)

    def run(self) -> None:
        if not self._wait_for_dependencies():
            return
        server = self._start(first=True)
        while server is not None:
            code = self._watch(server)
            if code is None:  # stopped on request
                return
            if code == PAUSED:
                server = self._resume()
                continue
            self._record_exit(server, code)
            server = self._restart()

    def _resume(self) -> ServerProcess | None:
        """Wait while paused (a fault check stopped us), then start again."""
        while self.pause_file.exists():
            if self.stop_requested.wait(POLL_SECONDS):
                return None
        server = self._start(first=False)
        return server if server is not None or self.stop_requested.is_set() else self._restart()

    def _record(self, **changes: Any) -> None:
        self.recorder.update(self.spec.name, **changes)

    def _wait_for_dependencies(self) -> bool:
        while not self.stop_requested.is_set():
            outcome = self.deps_ready()
            if outcome is State.HEALTHY:
                return True
            if outcome is State.FAILED:
                failed = ", ".join(self.spec.depends_on)
                self._record(state=State.FAILED, error=f"not started: {failed} did not start")
                return False
            if self.recorder.state(self.spec.name) is not State.STARTING:
                self._record(state=State.STARTING)
            time.sleep(POLL_SECONDS)
        return False

    def _start(self, first: bool) -> ServerProcess | None:
        self._record(state=State.STARTING, error="")
        try:
            server = self.launch()
        except SandboxError as err:
            log.error("%s did not start: %s", self.spec.name, err.render())
            self._record(state=State.FAILED if first else State.STARTING, error=err.render())
            return None
        if self.stop_requested.is_set():
            server.stop()
            self._record(state=State.STOPPED, pid=None)
            return None
        self._record(
            state=State.HEALTHY, pid=server.pid, pid_started=_create_time(server.pid),
            started_at=time.time(), error="",
        )  # fmt: skip
        log.info("%s healthy (pid %s)", self.spec.name, server.pid)
        return server

    def _watch(self, server: ServerProcess) -> int | None:
        """Wait until the process exits (its code), is paused (PAUSED), or a stop is
        requested (None)."""
        next_check = time.monotonic() + HEALTH_EVERY_SECONDS
        while not self.stop_requested.wait(POLL_SECONDS):
            code = server.popen.poll()
            if code is not None:
                return code
            if self.pause_file.exists():
                server.stop()
                log.info("%s paused on request", self.spec.name)
                self._record(state=State.STOPPED, pid=None, pid_started=None)
                return PAUSED
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + HEALTH_EVERY_SECONDS
                self._check_health()
        code = server.stop()
        log.info("%s stopped (exit code %s)", self.spec.name, code)
        self._record(state=State.STOPPED, pid=None, pid_started=None)
        return None

    def _check_health(self) -> None:
        healthy = self.spec.readiness()
        current = self.recorder.state(self.spec.name)
        wanted = State.HEALTHY if healthy else State.UNHEALTHY
        if current is not wanted:
            log.warning("%s is now %s", self.spec.name, wanted)
            self._record(state=wanted)

    def _record_exit(self, server: ServerProcess, code: int) -> None:
        log.warning("%s exited with code %s; restarting", self.spec.name, code)
        up_for = time.time() - server.started_at
        if up_for >= STABLE_AFTER_SECONDS:
            self.consecutive = 0
        self._record(
            state=State.STARTING, pid=None,
            last_exit=LastExit(code, time.time(), tail(server.log_path)),
        )  # fmt: skip

    def _restart(self) -> ServerProcess | None:
        while self.consecutive < MAX_RESTARTS:
            delay = BACKOFF_SECONDS[min(self.consecutive, len(BACKOFF_SECONDS) - 1)]
            self.consecutive += 1
            if self.stop_requested.wait(delay):
                self._record(state=State.STOPPED)
                return None
            restarts = self.recorder.status.services[self.spec.name].restarts + 1
            self._record(restarts=restarts)
            server = self._start(first=False)
            if server is not None or self.stop_requested.is_set():
                return server
        log.error("%s failed %s times in a row; giving up", self.spec.name, MAX_RESTARTS)
        self._record(
            state=State.FAILED, error=f"crashed {MAX_RESTARTS} times in a row; see its log"
        )
        return None


def pause_file(home: Path, service: str) -> Path:
    """While this file exists the supervisor keeps `service` stopped (see fault checks)."""
    return home / "control" / f"{service}.paused"


def _create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def dependencies_state(recorder: Recorder, names: tuple[str, ...]) -> State | None:
    """HEALTHY when every dependency is, FAILED when one failed, else None (wait)."""
    states = [recorder.state(name) for name in names]
    if any(state is State.FAILED for state in states):
        return State.FAILED
    if all(state is State.HEALTHY for state in states):
        return State.HEALTHY
    return None


def supervise(settings: Settings, stop: threading.Event) -> None:
    """Run the services until `stop` is set, then stop them in order."""
    specs = service_specs(settings)
    shutil.rmtree(settings.home / "control", ignore_errors=True)  # pauses do not outlive us
    recorder = Recorder(settings.home, specs)
    statefile.write(settings.home, recorder.status)
    calls = launchers(settings)
    runners = {
        name: ServiceRunner(
            spec, calls[name], recorder,
            lambda names=spec.depends_on: dependencies_state(recorder, names),  # type: ignore[misc]
        )
        for name, spec in specs.items()
    }  # fmt: skip
    for runner in runners.values():
        runner.start()
    stop.wait()
    log.info("stopping the stack")
    _stop_in_order(runners)
    recorder.finish()


def _stop_in_order(runners: dict[str, ServiceRunner]) -> None:
    first, rest = STOP_ORDER[0], STOP_ORDER[1:]
    runners[first].request_stop()
    runners[first].join(60)
    for name in rest:
        runners[name].request_stop()
    for name in rest:
        runners[name].join(60)


def _detach() -> None:
    """Fork so the caller's child exits at once (and is reaped) while we carry on."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()


def main() -> None:
    if "--detach" in sys.argv[1:]:
        _detach()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stdout
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        settings = Settings.from_env()
    except SandboxError as err:
        log.error(err.render())
        sys.exit(2)
    supervise(settings, stop)


if __name__ == "__main__":
    main()
