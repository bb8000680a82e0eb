"""The embedded backend (the default): real processes on this machine, no Docker.

`start` launches the supervisor (sandbox.stack.supervisor), which detaches (forks away,
new session) so it outlives the command, then waits until its state file says every
service is healthy. When the stack already runs, `start` asks the supervisor to start
whatever is stopped or failed, and waits for that. When the supervisor died and left
services running, `status` says so and `start` launches a new supervisor that adopts them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import psutil

from sandbox.config import Settings
from sandbox.errors import SandboxError, ServiceStartError, StackNotRunningError
from sandbox.services import pids, postgres
from sandbox.services.process import ensure_port_free, tail
from sandbox.stack import adopt, labservices, statefile, supervisor
from sandbox.stack import logs as log_files
from sandbox.stack.backend import StartResult, unknown_service
from sandbox.stack.model import ServiceStatus, StackStatus, State
from sandbox.stack.specs import SERVICE_NAMES, STOP_ORDER, port_variables, service_specs

START_TIMEOUT = 120.0
STOP_TIMEOUT = 45.0


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.home

    # -- the contract ---------------------------------------------------------------------

    def start(
        self, progress: Callable[[StackStatus], None] | None = None, timeout: float = START_TIMEOUT
    ) -> StartResult:
        current = self.status()
        if current.supervisor_pid is not None:
            for name, service in current.services.items():
                if service.state in (State.STOPPED, State.FAILED):
                    self._request_start(name)
            healthy = self._wait_healthy(current.launch_id, progress, timeout, stop_on_fail=False)
            return StartResult(healthy, already_running=True)
        self._check_ports(current)
        launch_id = self._spawn_supervisor()
        return StartResult(self._wait_healthy(launch_id, progress, timeout), False)

    def stop(self, timeout: float = STOP_TIMEOUT) -> StackStatus:
        current = self.status()
        if current.supervisor_pid is not None:
            pids.terminate(current.supervisor_pid, current.supervisor_started, timeout)
        self._stop_leftovers(self._recorded())
        return self.status()

    def reset(self) -> None:
        self.stop()
        postgres.wipe(postgres.PostgresConfig(self.home))  # may live outside the state dir
        shutil.rmtree(self.home, ignore_errors=True)

    def stop_service(self, service: str, timeout: float = 30.0) -> None:
        """Stop one service and keep it stopped (the supervisor does not restart it)."""
        self._require_running(service)
        _touch(supervisor.pause_file(self.home, service))
        if self.status().services[service].state in (State.STOPPED, State.FAILED):
            return  # nothing runs: nothing to wait for (a failed service stays down too)
        self._wait_state(service, State.STOPPED, timeout)

    def start_service(self, service: str, timeout: float = 60.0) -> None:
        """Start one service now, with a fresh crash count, even if it had failed; wait
        until it is healthy, and say why at once if it fails again."""
        self._require_running(service)
        supervisor.pause_file(self.home, service).unlink(missing_ok=True)
        request = self._request_start(service)
        _wait_until(lambda: not request.exists(), 5.0)  # the supervisor took the request
        self._wait_state(service, State.HEALTHY, timeout)

    def _request_start(self, service: str) -> Path:
        request = supervisor.start_request_file(self.home, service)
        _touch(request)
        return request

    def reload_app(self, timeout: float = 30.0) -> None:
        """Make gunicorn load the app's code again (SIGHUP: new workers, old ones drained)."""
        app = self.status().services["app"]
        if app.pid is None or not pids.alive(app.pid, app.pid_started):
            raise StackNotRunningError(
                "the app is not running", "start the stack with `sandbox up`"
            )
        master = psutil.Process(app.pid)
        old = {child.pid for child in master.children()}
        master.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = {child.pid for child in master.children()}
            if current and not current & old and service_specs(self.settings)["app"].readiness():
                return
            time.sleep(0.1)
        raise ServiceStartError("app", f"did not reload within {timeout:.0f} s", "",
                                tail(self.log_path("app")))  # fmt: skip

    def service_names(self) -> tuple[str, ...]:
        """The built-in services, then the lab services a started lab added."""
        return (*SERVICE_NAMES, *labservices.read(self.home))

    def _require_running(self, service: str) -> None:
        if service not in self.service_names():
            raise unknown_service(service)
        if self.status().supervisor_pid is None:
            raise StackNotRunningError("the stack is not running", "start it with `sandbox up`")

    def _wait_state(self, service: str, wanted: State, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.status().services[service]
            if current.state is wanted:
                return
            if current.state is State.FAILED and wanted is State.HEALTHY:
                raise ServiceStartError(service, f"failed: {current.error}",
                                        f"see `sandbox logs {service}`")  # fmt: skip
            time.sleep(0.1)
        raise ServiceStartError(service, f"did not become {wanted} within {timeout:.0f} s",
                                f"see `sandbox logs {service}`")  # fmt: skip

    def status(self) -> StackStatus:
        recorded = self._recorded()
        pid = recorded.supervisor_pid
        if pid is not None and not pids.alive(pid, recorded.supervisor_started):
            recorded.supervisor_pid, recorded.lost_supervisor_pid = None, pid  # kill -9, OOM
        if recorded.supervisor_pid is None:
            for name, service in recorded.services.items():
                _without_supervisor(service, adopt.leftovers(service, self.log_path(name)))
        return recorded

    def endpoint(self, service: str) -> str:
        specs = service_specs(self.settings)
        status = self.status().services.get(service)
        if status and status.url:
            return status.url
        if service not in specs:
            raise unknown_service(service)
        return specs[service].url

    def logs(
        self,
        service: str | None = None,
        since: datetime | None = None,
        follow: bool = False,
        stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[str]:
        names = _log_names(service, self.service_names())
        for name in names:
            prefix = f"{name:<10}| " if len(names) > 1 else ""
            for line in log_files.read_lines(self.log_path(name), since):
                yield prefix + line
        if follow:
            yield from self._follow(names, stop)

    # -- helpers --------------------------------------------------------------------------

    def log_path(self, service: str) -> Path:
        return log_files.service_log(self.home, service)

    def _follow(self, names: list[str], stop: Callable[[], bool]) -> Iterator[str]:
        paths = {name: self.log_path(name) for name in names}
        for name, line in log_files.follow(paths, stop):
            yield f"{name:<10}| {line}" if len(names) > 1 else line

    def _recorded(self) -> StackStatus:
        recorded = statefile.read(self.home)
        if recorded is None:
            specs = service_specs(self.settings)
            services = {n: ServiceStatus(n, State.STOPPED, s.port, s.url) for n, s in specs.items()}
            return StackStatus(backend=self.name, services=services, home=str(self.home))
        return recorded

    def _check_ports(self, current: StackStatus) -> None:
        """Every port must be free, but for services of ours left running by a supervisor
        that died: the new supervisor adopts (or stops) those."""
        for name, spec in service_specs(self.settings).items():
            if current.services[name].state is not State.UNSUPERVISED:
                ensure_port_free(name, spec.port, f"SANDBOX_{name.upper()}_PORT")

    def _spawn_supervisor(self) -> str:
        """Start the supervisor detached (it forks away from us); return its launch id."""
        launch_id = uuid.uuid4().hex
        log = self.log_path("supervisor")
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **_settings_env(self.settings), "SANDBOX_LAUNCH_ID": launch_id}
        with log.open("ab") as out:
            subprocess.run(
                [sys.executable, "-m", "sandbox.stack.supervisor", "--detach"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                env=env, start_new_session=True, timeout=30, check=False,
            )  # fmt: skip
        return launch_id

    def _wait_healthy(
        self,
        launch_id: str,
        progress: Callable[[StackStatus], None] | None,
        timeout: float,
        stop_on_fail: bool = True,
    ) -> StackStatus:
        deadline = time.monotonic() + timeout
        appeared_by = time.monotonic() + 15  # the supervisor writes its state at once
        while time.monotonic() < deadline:
            status = statefile.read(self.home)
            mine = status is not None and status.launch_id == launch_id
            if status is not None and mine:
                if progress:
                    progress(status)
                if status.all_healthy:
                    return status
                if any(s.state is State.FAILED for s in status.services.values()):
                    if stop_on_fail:
                        self.stop()
                    raise _start_failure(status)
            gone = mine and status is not None and not pids.alive(status.supervisor_pid, None)
            if gone or (not mine and time.monotonic() > appeared_by):
                self._stop_leftovers(self._recorded())
                raise ServiceStartError(
                    "supervisor", "exited before the stack was up",
                    f"read {self.log_path('supervisor')}; `sandbox up` starts it again",
                    tail(self.log_path("supervisor")),
                )  # fmt: skip
            time.sleep(0.1)
        if stop_on_fail:
            self.stop()
        raise ServiceStartError(
            "stack", f"not healthy within {timeout:.0f} s", "run `sandbox logs` to see why"
        )

    def _stop_leftovers(self, status: StackStatus) -> None:
        """Stop service processes we started that outlived their supervisor, by their
        recorded PIDs, in the supervisor's order and with each one's own stop signal."""
        signals = {name: spec.stop_signal for name, spec in service_specs(self.settings).items()}
        for name in (*labservices.read(self.home), *STOP_ORDER):  # lab services: SIGTERM
            for record in adopt.leftovers(status.services.get(name), self.log_path(name)):
                sig = signals.get(name, signal.SIGTERM)
                pids.terminate(record.pid, record.created, STOP_TIMEOUT, sig)


def _without_supervisor(service: ServiceStatus, running: list[pids.PidRecord]) -> None:
    """No supervisor: a process of ours that still runs is unsupervised, else it is down."""
    if running:
        service.state, service.pid, service.pid_started = (
            State.UNSUPERVISED,
            running[0].pid,
            running[0].created,
        )
    else:
        service.state = State.FAILED if service.state is State.FAILED else State.STOPPED
        service.pid = None


def _touch(file: Path) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    file.touch()


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _start_failure(status: StackStatus) -> SandboxError:
    """Every failed service's own message (each already names the service and the fix)."""
    failed = [s.error for s in status.services.values() if s.state is State.FAILED]
    return SandboxError("the stack did not start:\n" + "\n".join(failed))


def _log_names(service: str | None, services: tuple[str, ...]) -> list[str]:
    if service is None:
        return [*services, "supervisor"]
    if service not in (*services, "supervisor"):
        raise unknown_service(service)
    return [service]


def _settings_env(settings: Settings) -> dict[str, str]:
    env = {"SANDBOX_HOME": str(settings.home), **port_variables(settings.ports)}
    # A folder set explicitly (SANDBOX_APP_DIR, ...) is passed on; one that comes from a
    # started lab is not, so the supervisor reads it again when it restarts the app.
    followed = settings.repointed(env={})
    if settings.app_dir != followed.app_dir:
        env["SANDBOX_APP_DIR"] = str(settings.app_dir)
    if settings.lambda_dir != followed.lambda_dir:
        env["SANDBOX_LAMBDA_DIR"] = str(settings.lambda_dir)
    if settings.postgres_bin_dir:
        env["SANDBOX_POSTGRES_BIN_DIR"] = str(settings.postgres_bin_dir)
    return env
