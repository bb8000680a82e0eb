"""The supervisor: a small process that outlives `sandbox up`, runs the services, restarts
the ones that die, and keeps `<home>/stack.json` current.

    python -m sandbox.stack.supervisor [--detach]   (reads SANDBOX_* like every command)

One thread per service. A service that fails its first start is marked failed at once (so
`up` can report it); one that dies later is restarted with backoff, at most MAX_RESTARTS
times in a row, then marked failed. Every exit and failed start is written, with its
reason, to the service's own log and to its status. SIGTERM stops the app first, then the
rest.

Control files in `<home>/control/` (written by `sandbox stop/start/restart`):
  <service>.paused   keep the service stopped while the file exists
  <service>.start    start it now with a fresh crash count, even if it had failed (consumed)

A supervisor that starts where an earlier one died (kill -9) adopts the services that
still run and answer, by their recorded PIDs, instead of starting second copies.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any

from sandbox.config import Settings
from sandbox.errors import SandboxError
from sandbox.services import pids
from sandbox.services.process import Server, describe_exit, tail
from sandbox.stack import adopt, discovery, labservices, statefile
from sandbox.stack import logs as log_files
from sandbox.stack.labservices import LabServiceSpec
from sandbox.stack.launch import Launcher, launchers
from sandbox.stack.model import LastExit, ServiceStatus, StackStatus, State
from sandbox.stack.specs import STOP_ORDER, ServiceSpec, service_specs

POLL_SECONDS = 0.2  # how fast a dead process is noticed
HEALTH_EVERY_SECONDS = 2.0
MAX_RESTARTS = 5
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0)
STABLE_AFTER_SECONDS = 60.0  # up this long: the next crash starts a fresh backoff

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
            supervisor_started=pids.create_time(os.getpid()),
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
        """A service it does not know (a lab service depending on a removed one): FAILED."""
        with self.lock:
            service = self.status.services.get(name)
            return State.FAILED if service is None else service.state

    def snapshot(self) -> StackStatus:
        with self.lock:
            return copy.deepcopy(self.status)

    def add(self, spec: ServiceSpec) -> None:
        with self.lock:
            self.status.services[spec.name] = ServiceStatus(
                spec.name, State.STOPPED, spec.port, spec.url
            )
            statefile.write(self.home, self.status)

    def remove(self, name: str) -> None:
        with self.lock:
            self.status.services.pop(name, None)
            statefile.write(self.home, self.status)
            self.changed.notify_all()

    def finish(self) -> None:
        with self.lock:
            self.status.supervisor_pid = None
            statefile.write(self.home, self.status)


class Watch(Enum):
    """Why watching a running server ended."""

    EXITED = "exited"
    PAUSED = "paused"  # a pause file asked for it to be stopped (sandbox stop, fault checks)
    STOPPED = "stopped"  # the supervisor is stopping


class ServiceRunner(threading.Thread):
    """Runs one service: adopts or starts it, watches it, restarts it when it dies."""

    def __init__(
        self,
        spec: ServiceSpec,
        launch: Launcher,
        recorder: Recorder,
        deps_ready: Callable[[], State | None],
        previous: ServiceStatus | None = None,
    ) -> None:
        super().__init__(name=f"runner-{spec.name}", daemon=True)
        self.spec = spec
        self.launch = launch
        self.recorder = recorder
        self.deps_ready = deps_ready
        self.previous = previous  # what an earlier supervisor recorded: a process to adopt
        self.stop_requested = threading.Event()
        self.wake = threading.Event()  # a start request: try now, with a fresh crash count
        self.consecutive = 0
        self.last_reason = ""
        self._lock = threading.Lock()
        self._finished = False

    def request_stop(self) -> None:
        self.stop_requested.set()

    def kick(self) -> bool:
        """A start request (`sandbox start/restart/up`): reset the crash count and try at
        once. False when this runner has already given up (start a new one instead)."""
        with self._lock:
            if self._finished:
                return False
            self.consecutive = 0
            self.wake.set()
            return True

    @property
    def pause_file(self) -> Path:
        return pause_file(self.recorder.home, self.spec.name)

    @property
    def log_path(self) -> Path:
        return log_files.service_log(self.recorder.home, self.spec.name)

    def run(self) -> None:
        while True:
            self._run_once()
            with self._lock:
                if self.stop_requested.is_set() or not self.wake.is_set():
                    self._finished = True
                    return
                self.wake.clear()  # asked to start again while we were giving up

    def _run_once(self) -> None:
        server = self._adopt() or (self._start(first=True) if self._dependencies_ready() else None)
        while server is not None:
            ended = self._watch(server)
            if ended is Watch.STOPPED:
                return
            if ended is Watch.PAUSED:
                server = self._resume()
                continue
            self._record_exit(server, server.poll())
            server = self._restart()

    def _adopt(self) -> Server | None:
        """Take over this service's process if an earlier supervisor died and left it running
        and healthy; stop it (by PID) if it runs but does not answer."""
        found = adopt.find(self.spec, self.previous, self.log_path)
        if found is None:
            return None
        self.previous = None
        since = found.started_at
        self._record(state=State.HEALTHY, pid=found.pid, pid_started=found.created,
                     started_at=since, error="")  # fmt: skip
        self._note(f"adopted from a supervisor that died (pid {found.pid})")
        return found

    def _resume(self) -> Server | None:
        """Wait while paused (a fault check stopped us), then start again."""
        while self.pause_file.exists():
            if self.stop_requested.wait(POLL_SECONDS):
                return None
        server = self._start(first=False)
        return server if server is not None or self.stop_requested.is_set() else self._restart()

    def _record(self, **changes: Any) -> None:
        self.recorder.update(self.spec.name, **changes)

    def _note(self, text: str) -> None:
        """Say it in the supervisor's log and in the service's own log (`sandbox logs X`)."""
        log.info("%s %s", self.spec.name, text)
        log_files.append_note(self.log_path, f"{self.spec.name} {text}")

    def _dependencies_ready(self) -> bool:
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

    def _start(self, first: bool) -> Server | None:
        self.wake.clear()
        self._record(state=State.STARTING, error="")
        try:
            server = self.launch()
        except SandboxError as err:
            self.last_reason = err.message
            self._note(f"did not start: {err.render()}")
            self._record(state=State.FAILED if first else State.STARTING, error=err.render(),
                         pid=None, pid_started=None)  # fmt: skip
            return None
        if self.stop_requested.is_set():
            server.stop()
            self._record(state=State.STOPPED, pid=None)
            return None
        self._record(
            state=State.HEALTHY, pid=server.pid, pid_started=pids.create_time(server.pid),
            started_at=time.time(), error="",
        )  # fmt: skip
        log.info("%s healthy (pid %s)", self.spec.name, server.pid)
        return server

    def _watch(self, server: Server) -> Watch:
        next_check = time.monotonic() + HEALTH_EVERY_SECONDS
        while not self.stop_requested.wait(POLL_SECONDS):
            if server.poll() is not None:
                return Watch.EXITED
            if self.pause_file.exists():
                server.stop()
                self._note("stopped on request")
                self._record(state=State.STOPPED, pid=None, pid_started=None)
                return Watch.PAUSED
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + HEALTH_EVERY_SECONDS
                self._check_health()
        code = server.stop()
        log.info("%s stopped (exit code %s)", self.spec.name, code)
        self._record(state=State.STOPPED, pid=None, pid_started=None)
        return Watch.STOPPED

    def _check_health(self) -> None:
        healthy = self.spec.readiness()
        current = self.recorder.state(self.spec.name)
        wanted = State.HEALTHY if healthy else State.UNHEALTHY
        if current is not wanted:
            log.warning("%s is now %s", self.spec.name, wanted)
            self._record(state=wanted)

    def _record_exit(self, server: Server, code: int | None) -> None:
        pids.end_group(server.pid)  # its children (Lambda workers) must not outlive it
        self.last_reason = describe_exit(code)
        self._note(f"{self.last_reason}; restarting")
        if time.time() - server.started_at >= STABLE_AFTER_SECONDS:
            self.consecutive = 0
        last = LastExit(code, time.time(), tail(server.log_path), self.last_reason)
        self._record(state=State.STARTING, pid=None, pid_started=None, last_exit=last,
                     error=f"{self.last_reason}; restarting")  # fmt: skip

    def _restart(self) -> Server | None:
        while self.consecutive < MAX_RESTARTS:
            delay = BACKOFF_SECONDS[min(self.consecutive, len(BACKOFF_SECONDS) - 1)]
            self.consecutive += 1
            if self._backoff(delay):
                self._record(state=State.STOPPED)
                return None
            restarts = self.recorder.status.services[self.spec.name].restarts + 1
            self._record(restarts=restarts)
            server = self._start(first=False)
            if server is not None or self.stop_requested.is_set():
                return server
        self._note(f"failed {MAX_RESTARTS} times in a row; giving up (last: {self.last_reason})")
        self._record(state=State.FAILED, error=f"crashed {MAX_RESTARTS} times in a row "
                     f"(last: {self.last_reason}); see `sandbox logs {self.spec.name}`, then "
                     f"`sandbox start {self.spec.name}`")  # fmt: skip
        return None

    def _backoff(self, seconds: float) -> bool:
        """Wait before a restart; True when a stop was requested. A start request ends the
        wait at once."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.stop_requested.wait(min(POLL_SECONDS, seconds)):
                return True
            if self.wake.is_set():
                self.wake.clear()
                return False
        return self.stop_requested.is_set()


def pause_file(home: Path, service: str) -> Path:
    """While this file exists the supervisor keeps `service` stopped (see fault checks)."""
    return home / "control" / f"{service}.paused"


def start_request_file(home: Path, service: str) -> Path:
    """Asks the supervisor to start `service` now, with a fresh crash count (consumed)."""
    return home / "control" / f"{service}.start"


def dependencies_state(recorder: Recorder, names: tuple[str, ...]) -> State | None:
    """HEALTHY when every dependency is, FAILED when one failed, else None (wait)."""
    states = [recorder.state(name) for name in names]
    if any(state is State.FAILED for state in states):
        return State.FAILED
    if all(state is State.HEALTHY for state in states):
        return State.HEALTHY
    return None


class Supervision:
    """The runners of one supervisor, the start requests it answers, the lab services it
    adds and removes as labs come and go, and the Cloud Map registrations it keeps."""

    def __init__(self, settings: Settings, previous: StackStatus | None) -> None:
        self.settings = settings
        self.home = settings.home
        self.specs = service_specs(settings)
        self.calls = launchers(settings)
        self.lab_services: dict[str, LabServiceSpec] = {}
        self.lab_signature = labservices.signature(self.home)
        for spec in _lab_services(self.home).values():
            self._add_lab_service(spec)
        self.recorder = Recorder(settings.home, self.specs)
        self.runners = {
            name: self._runner(name, previous.services.get(name) if previous else None)
            for name in self.specs
        }
        self.registrar = discovery.Registrar(
            self.recorder.snapshot, self.recorder.changed,
            lambda: self.specs["aws"].url, self._proxies,
        )  # fmt: skip

    def _runner(self, name: str, previous: ServiceStatus | None = None) -> ServiceRunner:
        spec = self.specs[name]
        deps = spec.depends_on
        return ServiceRunner(spec, self.calls[name], self.recorder,
                             lambda: dependencies_state(self.recorder, deps), previous)  # fmt: skip

    def _add_lab_service(self, lab: LabServiceSpec) -> None:
        needs = (*lab.depends_on, "faults") if lab.proxy_port is not None else lab.depends_on
        self.lab_services[lab.name] = lab
        self.specs[lab.name] = ServiceSpec(lab.name, lab.port, lab.url, lab.readiness(), needs)
        self.calls[lab.name] = partial(labservices.launch, lab, self.settings)

    def _proxies(self) -> dict[str, Any]:
        from sandbox.faults.client import FaultsClient

        return FaultsClient(self.specs["faults"].url, timeout=2.0).proxies()

    def start(self) -> None:
        statefile.write(self.home, self.recorder.status)
        for runner in self.runners.values():
            runner.start()
        self.registrar.start()

    def answer_start_requests(self) -> None:
        for name in list(self.specs):
            request = start_request_file(self.home, name)
            if not request.exists():
                continue
            if self.recorder.state(name) is State.FAILED:
                # Before the request goes: `sandbox start` waits from then on, and must see
                # this start's outcome, not the failure it asked to start again from.
                self.recorder.update(name, state=State.STARTING, error="")
            request.unlink(missing_ok=True)
            if not self.runners[name].kick():  # it gave up: a new runner, a fresh count
                self.runners[name] = self._runner(name)
                self.runners[name].start()

    def follow_lab_services(self) -> None:
        """Start the lab services `lab start` added, stop the ones `lab stop` removed, and
        restart one whose definition changed."""
        current = labservices.signature(self.home)
        if current == self.lab_signature:
            return
        self.lab_signature = current
        wanted = _lab_services(self.home)
        for name, old in list(self.lab_services.items()):
            if wanted.get(name) != old:
                self._remove_lab_service(name)
        for name, spec in wanted.items():
            if name not in self.lab_services and name not in self.specs:
                self._add_lab_service(spec)
                self.recorder.add(self.specs[name])
                self.runners[name] = self._runner(name)
                self.runners[name].start()

    def _remove_lab_service(self, name: str) -> None:
        runner = self.runners.pop(name)
        runner.request_stop()
        runner.join(60)
        lab = self.lab_services.pop(name)
        if lab.proxy_port is not None:
            labservices.remove_proxy(self.settings, lab)
        del self.specs[name], self.calls[name]
        self.recorder.remove(name)

    def stop(self) -> None:
        self.registrar.stop()
        _stop_in_order(self.runners, tuple(self.lab_services))
        self.recorder.finish()


def _lab_services(home: Path) -> dict[str, LabServiceSpec]:
    """The lab services to run; none (said in the log) when the file is unreadable."""
    try:
        return labservices.read(home)
    except SandboxError as err:
        log.error(err.render())
        return {}


def supervise(settings: Settings, stop: threading.Event) -> None:
    """Run the services until `stop` is set, then stop them in order."""
    previous = _previous_state(settings.home)
    shutil.rmtree(settings.home / "control", ignore_errors=True)  # pauses do not outlive us
    supervision = Supervision(settings, previous)
    supervision.start()
    while not stop.wait(POLL_SECONDS):
        supervision.answer_start_requests()
        supervision.follow_lab_services()
    log.info("stopping the stack")
    supervision.stop()


def _previous_state(home: Path) -> StackStatus | None:
    """What the last supervisor recorded (its processes may still run: we adopt them)."""
    try:
        return statefile.read(home)
    except SandboxError as err:
        log.warning("ignoring the previous state: %s", err.message)
        return None


def _stop_in_order(runners: dict[str, ServiceRunner], lab_services: tuple[str, ...]) -> None:
    """Lab services first (they call the stack), then the app, then the rest together."""
    first, rest = (*lab_services, STOP_ORDER[0]), STOP_ORDER[1:]
    for name in first:
        runners[name].request_stop()
    for name in first:
        runners[name].join(60)
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
