"""The compose backend: the same stack in containers, driven through the `docker compose` CLI.

Nothing here runs without a Docker engine; every command first checks that one answers and
otherwise says to use the embedded backend. The emulator is LocalStack (profile
`localstack`, default) or ministack (profile `free`, SANDBOX_AWS_EMULATOR=free).

The compose files, in order: compose.yaml (the pinned images), SANDBOX_COMPOSE_FILES (e.g.
CI's offline stand-ins), then a runtime file the backend writes into the state dir so the app
container runs as the embedded backend runs the app: the code in SANDBOX_APP_DIR (a started
lab's workspace), bind-mounted read-only over the image's; ENVIRONMENT=sandbox and
APP_VERSION; healthy once /health answers (a lab's starter has no /ready yet). The bind mount
needs the engine on this machine (a unix socket), as the published 127.0.0.1 ports do.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sandbox import __version__
from sandbox.config import Settings
from sandbox.errors import (
    BackendUnavailableError,
    ConfigError,
    ServiceStartError,
    StackNotRunningError,
)
from sandbox.services import aws as aws_service
from sandbox.services.registry import SERVICES
from sandbox.stack.backend import StartResult, unknown_service
from sandbox.stack.model import ServiceStatus, StackStatus, State
from sandbox.stack.specs import port_variables, service_specs

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "compose.yaml"
RUNTIME_FILE = "compose/runtime.json"  # in the state dir; JSON is YAML to compose
EMULATOR_SERVICES = {"localstack": "aws", "free": "aws-free"}  # profile -> compose service
# The services compose.yaml runs: every registered one with a port inside a container.
CONTAINER_PORTS = {d.name: d.container_port for d in SERVICES if d.container_port is not None}
COMPOSE_SERVICES = tuple(CONTAINER_PORTS)
SERVICE_URLS: dict[str, Callable[[int], str]] = {d.name: d.url for d in SERVICES}
START_TIMEOUT = 600.0  # the first start pulls images and builds the app
STOP_TIMEOUT = 30
ENGINE_TIMEOUT = 15
APP_HEALTHCHECK = [
    "CMD",
    "python",
    "-c",
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=2)",
]


class ComposeBackend:
    name = "compose"
    # What fault checks need and compose.yaml does not run (see Capability in the labs).
    limits: ClassVar[dict[str, str]] = {
        "faults": "the compose environment runs no fault injector; run this check on the "
        "embedded backend",
        "chaos": "the compose environment's emulator has no free chaos API (LocalStack's is "
        "paid); run this check on the embedded backend",
    }

    def __init__(self, settings: Settings, docker: str | None = None) -> None:
        self.settings = settings
        self.docker = docker or settings.docker
        self.project = project_name(settings.home)
        self.profile = settings.aws_emulator
        self._engine_answered = False

    # -- the contract ---------------------------------------------------------------------

    def start(
        self, progress: Callable[[StackStatus], None] | None = None, timeout: float = START_TIMEOUT
    ) -> StartResult:
        current = self.status()
        if current.all_healthy:
            return StartResult(current, already_running=True)
        self._write_runtime_file()
        result = self.compose("up", "--detach", "--build", *_wait(timeout), check=False)
        if result.returncode != 0:
            raise self._start_failure("compose", result.stderr)
        self._after_emulator_start(current)
        status = self.status()
        if progress:
            progress(status)
        return StartResult(status, already_running=False)

    def stop(self, timeout: float = STOP_TIMEOUT) -> StackStatus:
        """Remove the containers and the network; the named volumes (the data) stay."""
        self.compose("down", "--remove-orphans", "--timeout", str(int(timeout)))
        return self.status()

    def reset(self) -> None:
        self.compose("down", "--remove-orphans", "--volumes", "--timeout", str(STOP_TIMEOUT))
        shutil.rmtree(self.settings.home, ignore_errors=True)

    def stop_service(self, service: str, timeout: float = STOP_TIMEOUT) -> None:
        """Stop one container; it stays stopped (no restart policy) until start_service."""
        self._require_running(service)
        self.compose("stop", "--timeout", str(int(timeout)), self._compose_service(service))

    def start_service(self, service: str, timeout: float = 60.0) -> None:
        """Start (or, when its configuration changed, recreate) one service's container and
        wait until it is healthy; its dependencies are left as they are."""
        self._require_running(service)
        before = self.status()
        self._write_runtime_file()
        name = self._compose_service(service)
        result = self.compose("up", "--detach", "--no-deps", *_wait(timeout), name, check=False)
        if result.returncode != 0:
            raise self._start_failure(service, result.stderr)
        self._after_emulator_start(before)

    def reload_app(self, timeout: float = 60.0) -> None:
        """SIGHUP: gunicorn starts new workers on the (bind-mounted) code, drains the old."""
        self._require_running("app")
        self.compose("kill", "--signal", "SIGHUP", "app")

    def status(self) -> StackStatus:
        mine = f"label={PROJECT_LABEL}={self.project}"
        found = self._docker("ps", "--all", "--quiet", "--filter", mine).stdout.split()
        inspected = json.loads(self._docker("inspect", *found).stdout) if found else []
        return stack_status(inspected, self.settings, self.profile)

    def endpoint(self, service: str) -> str:
        """The published 127.0.0.1 URL of a running service, else the configured one."""
        if service not in COMPOSE_SERVICES:
            raise unknown_service(service)
        return self.status().services[service].url

    def logs(
        self,
        service: str | None = None,
        since: datetime | None = None,
        follow: bool = False,
        stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[str]:
        """One service's lines as it wrote them; all services' lines as `name      | line`
        (the embedded backend's shape)."""
        args = ["logs", "--no-color"]
        args += ["--since", since.astimezone(UTC).isoformat()] if since else []
        args += ["--follow"] if follow else []
        if service is None:
            lines = self._stream(self._compose_argv(*args), stop)
            yield from (self._relabelled(line) for line in lines)
            return
        self._require_known(service)
        argv = self._compose_argv(*args, "--no-log-prefix", self._compose_service(service))
        yield from self._stream(argv, stop)

    # -- compose's view of the stack ------------------------------------------------------

    def compose_files(self) -> list[Path]:
        runtime = self.settings.home / RUNTIME_FILE
        extra = [runtime] if runtime.is_file() else []
        return [COMPOSE_FILE, *self.settings.compose_files, *extra]

    def environment(self) -> dict[str, str]:
        """What compose.yaml's ${...} and profiles read: the ports and the emulator."""
        ports = {n: p for n, p in self.settings.ports.items() if n in COMPOSE_SERVICES}
        return {"COMPOSE_PROFILES": self.profile, **port_variables(ports)}

    def runtime_overrides(self) -> dict[str, Any]:
        """The app as the embedded backend runs it (see the module's docstring)."""
        code = self.settings.repointed().app_dir / "app"
        if not (code / "gunicorn.conf.py").is_file():
            raise ConfigError(
                f"no app/gunicorn.conf.py under {code.parent}",
                "point SANDBOX_APP_DIR at the folder that contains the app/ package",
            )
        mount = {"type": "bind", "source": str(code), "target": "/srv/app", "read_only": True}
        app = {
            "environment": {"ENVIRONMENT": "sandbox", "APP_VERSION": __version__},
            "volumes": [mount],
            "healthcheck": {"test": APP_HEALTHCHECK},
        }
        return {"services": {"app": app}}

    def _write_runtime_file(self) -> None:
        file = self.settings.home / RUNTIME_FILE
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(self.runtime_overrides(), indent=2) + "\n")

    def _compose_service(self, service: str) -> str:
        return EMULATOR_SERVICES[self.profile] if service == "aws" else service

    def _relabelled(self, line: str) -> str:
        """`<project>-aws-free-1  | text` -> `aws       | text`."""
        match = _COMPOSE_PREFIX.match(line)
        if not match:
            return line
        container = match["container"].removeprefix(f"{self.project}-")
        service = _service_of(re.sub(r"-\d+$", "", container))
        return f"{service:<10}| {match['text']}"

    # -- checks and failures --------------------------------------------------------------

    def _require_known(self, service: str) -> None:
        if service == "supervisor":
            raise ConfigError(
                "the compose backend has no supervisor log: Docker runs the services",
                f"ask for one of: {', '.join(COMPOSE_SERVICES)}",
            )
        if service not in COMPOSE_SERVICES:
            raise unknown_service(service)

    def _require_running(self, service: str) -> None:
        self._require_known(service)
        if not self.status().running:
            raise StackNotRunningError(
                "the stack is not running", "start it with `sandbox --backend compose up`"
            )

    def _start_failure(self, what: str, stderr: str) -> ServiceStartError:
        """Compose's own words, and the last log lines of the service to look at: `what`,
        else the first whose container exists and is not healthy."""
        culprit = _culprit(self.status(), what)
        if culprit is None:  # no container came up: an image or compose file problem
            return ServiceStartError(
                "compose",
                f"docker compose up failed: {_compose_error(stderr)}",
                "check the images and compose files it names (SANDBOX_COMPOSE_FILES)",
            )
        return ServiceStartError(
            culprit,
            f"docker compose up did not get it healthy: {_compose_error(stderr)}",
            f"see `sandbox logs {culprit}`; `sandbox down` stops the rest",
            _last_lines("\n".join(self.logs(culprit)), 15),
        )

    def _after_emulator_start(self, before: StackStatus) -> None:
        """ministack restored from its volume needs its stream triggers re-anchored (see
        sandbox.services.aws.reanchor_stream_mappings), once, right after it started."""
        if self.profile != "free" or before.services["aws"].state is State.HEALTHY:
            return
        try:
            aws_service.reanchor_stream_mappings(self.endpoint("aws"))
        except OSError as err:
            raise ServiceStartError(
                "aws",
                f"started, but its DynamoDB stream triggers could not be re-anchored: {err}",
                "see `sandbox logs aws`",
            ) from err

    # -- running docker -------------------------------------------------------------------

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run(self._compose_argv(*args), check)

    def _compose_argv(self, *args: str) -> list[str]:
        files = [arg for file in self.compose_files() for arg in ("-f", str(file))]
        return [self.docker, "compose", *files, "-p", self.project, *args]

    def _docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run([self.docker, *args], check=True)

    def require_engine(self) -> None:
        """Fail clearly, naming the embedded backend, when no Docker engine answers."""
        if self._engine_answered:
            return
        try:
            result = subprocess.run(
                [self.docker, "info", "--format", "{{.ServerVersion}}"],
                capture_output=True,
                text=True,
                timeout=ENGINE_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            raise _no_engine(f"the `{self.docker}` command is not installed") from None
        except subprocess.TimeoutExpired:
            waited = f"the Docker engine did not answer within {ENGINE_TIMEOUT} s"
            raise _no_engine(waited) from None
        if result.returncode != 0:
            raise _no_engine(_last_lines(result.stderr, 2) or "docker info failed")
        self._engine_answered = True

    def _run(self, argv: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        self.require_engine()
        result = subprocess.run(argv, capture_output=True, text=True, env=self._env(), check=False)
        if result.returncode != 0 and _NO_COMPOSE in result.stderr:
            raise _no_compose()
        if check and result.returncode != 0:
            raise _failed(argv, result.stderr)
        return result

    def _env(self) -> dict[str, str]:
        return {**os.environ, **self.environment()}

    def _stream(self, argv: list[str], stop: Callable[[], bool]) -> Iterator[str]:
        """Lines as compose prints them; `stop` is asked at least every 0.2 s, even while
        compose prints nothing (a quiet service followed)."""
        self.require_engine()
        # stderr to a file: a pipe nobody reads could fill up and stall compose
        with (
            tempfile.TemporaryFile("w+") as errors,
            subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=errors, text=True, env=self._env()
            ) as proc,
        ):
            try:
                yield from _until_stopped(_pump(proc), stop)
            finally:
                proc.terminate()
            if proc.wait() not in (0, -15):
                errors.seek(0)
                _raise_for_compose(argv, errors.read())


# -- container state -> the common status shape --------------------------------------------

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


def project_name(home: Path) -> str:
    """One compose project per state dir, so stacks side by side never share containers."""
    return "sandbox-" + hashlib.sha256(str(home).encode()).hexdigest()[:10]


def stack_status(inspected: list[dict[str, Any]], settings: Settings, profile: str) -> StackStatus:
    """Map `docker inspect` output of the project's containers to the common status shape.
    Only the chosen emulator's container counts as `aws`."""
    specs = {n: s for n, s in service_specs(settings).items() if n in COMPOSE_SERVICES}
    services = {n: ServiceStatus(n, State.STOPPED, s.port, s.url) for n, s in specs.items()}
    ignored = {"aws", "aws-free"} - {EMULATOR_SERVICES[profile]}
    for container in inspected:
        labels = container.get("Config", {}).get("Labels", {}) or {}
        compose_name = labels.get(SERVICE_LABEL, "")
        name = _service_of(compose_name)
        if name in services and compose_name not in ignored:
            published = _published_url(container, name)
            services[name] = container_status(container, services[name], published)
    return StackStatus(backend="compose", services=services, home=str(settings.home))


def container_status(
    container: dict[str, Any], base: ServiceStatus, published: tuple[int, str] | None = None
) -> ServiceStatus:
    state = container.get("State", {})
    health = (state.get("Health") or {}).get("Status", "")
    mapped = _map_state(state.get("Status", ""), health, state.get("ExitCode", 0))
    running = mapped in (State.HEALTHY, State.UNHEALTHY, State.STARTING)
    port, url = published if published and running else (base.port, base.url)
    return ServiceStatus(
        name=base.name,
        state=mapped,
        port=port,
        url=url,
        pid=state.get("Pid") or None if running else None,
        started_at=_timestamp(state.get("StartedAt", "")) if running else None,
        restarts=int(container.get("RestartCount", 0)),
        error=_error(state, mapped, base.name),
    )


def _published_url(container: dict[str, Any], service: str) -> tuple[int, str] | None:
    """The 127.0.0.1 port the container's service port is published on, and its URL."""
    ports = (container.get("NetworkSettings") or {}).get("Ports") or {}
    bindings = ports.get(f"{CONTAINER_PORTS[service]}/tcp") or []
    host_ports = [int(b["HostPort"]) for b in bindings if b.get("HostPort", "").isdigit()]
    if not host_ports:
        return None
    return host_ports[0], SERVICE_URLS[service](host_ports[0])


def _map_state(status: str, health: str, exit_code: int) -> State:
    if status == "running":
        return {"healthy": State.HEALTHY, "unhealthy": State.UNHEALTHY}.get(
            health, State.STARTING if health == "starting" else State.HEALTHY
        )
    if status in ("created", "restarting"):
        return State.STARTING
    if status in ("exited", "dead") and exit_code not in (0, 137, 143):
        return State.FAILED  # 137/143: stopped by SIGKILL/SIGTERM on `down`
    return State.STOPPED


def _error(state: dict[str, Any], mapped: State, service: str) -> str:
    if state.get("Error"):
        return str(state["Error"])
    if mapped is State.FAILED:
        return f"exited with code {state.get('ExitCode')}; see `sandbox logs {service}`"
    return ""


def _culprit(status: StackStatus, asked: str) -> str | None:
    """The service a failed start is about: the one asked for, else the first whose
    container exists (it is not stopped) and is not healthy."""
    troubled = [
        name
        for name, service in status.services.items()
        if service.state not in (State.HEALTHY, State.STOPPED)
    ]
    if asked in troubled:
        return asked
    return troubled[0] if troubled else None


def _compose_error(stderr: str) -> str:
    """Compose's error: its last line that is not progress (` Container x  Healthy`) or an
    engine warning (` app IPv4 forwarding is disabled...`, on an engine without routing)."""
    noise = re.compile(r"^\s*(Container|Network|Volume|Image)\s|IPv4 forwarding is disabled")
    errors = [line for line in stderr.splitlines() if line.strip() and not noise.search(line)]
    return errors[-1].strip() if errors else _last_lines(stderr, 1)


def _timestamp(text: str) -> float | None:
    if not text or text.startswith("0001-"):
        return None
    try:  # Docker prints nanoseconds; Python's parser takes microseconds
        head, _, rest = text.partition(".")
        zone = rest[rest.find("Z") :] if "Z" in rest else ""
        return datetime.fromisoformat(f"{head}.{rest[:6]}{zone.replace('Z', '+00:00')}").timestamp()
    except ValueError:
        return None


def _service_of(compose_service: str) -> str:
    return "aws" if compose_service in EMULATOR_SERVICES.values() else compose_service


# -- running docker: helpers ---------------------------------------------------------------

_COMPOSE_PREFIX = re.compile(r"^(?P<container>\S+)\s+\| ?(?P<text>.*)$")
_NO_COMPOSE = "'compose' is not a docker command"


def _wait(timeout: float) -> list[str]:
    return ["--wait", "--wait-timeout", str(int(timeout))]


def _pump(proc: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """Read the process's lines in a thread (None at the end), so the reader can stop."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _until_stopped(lines: queue.Queue[str | None], stop: Callable[[], bool]) -> Iterator[str]:
    while not stop():
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if line is None:
            return
        yield line


def _raise_for_compose(argv: list[str], stderr: str) -> None:
    raise _no_compose() if _NO_COMPOSE in stderr else _failed(argv, stderr)


def _failed(argv: list[str], stderr: str) -> ServiceStartError:
    return ServiceStartError(
        "compose",
        f"`{_shown(argv)}` failed (its last lines are below)",
        "`docker info` tells whether the engine is healthy; `sandbox status` shows the stack",
        _last_lines(stderr),
    )


def _shown(argv: list[str]) -> str:
    """The command without the compose file arguments (long, and the same every time)."""
    shown, skip = [], False
    for arg in argv[1:]:
        if not skip and arg != "-f":
            shown.append(arg)
        skip = arg == "-f"
    return " ".join(["docker", *shown])


def _no_engine(reason: str) -> BackendUnavailableError:
    return BackendUnavailableError(
        f"the compose backend needs a running Docker engine: {reason}",
        "use the embedded backend (the default, no Docker needed): `sandbox up --backend "
        "embedded`, or start Docker (check with `docker info`) and try again",
    )


def _no_compose() -> BackendUnavailableError:
    return BackendUnavailableError(
        "the compose backend needs Docker Compose v2, and `docker compose` is not installed",
        "install the Compose plugin (Docker Desktop has it; on Linux the docker-compose-plugin "
        "package), or use the embedded backend: `sandbox up --backend embedded`",
    )


def _last_lines(text: str, count: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-count:])
