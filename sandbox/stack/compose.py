"""The compose backend: the same stack in containers, driven through the `docker compose` CLI.

Nothing here runs without a Docker engine; every command first checks that one answers and
otherwise says to use the embedded backend. The emulator is LocalStack (profile
`localstack`, default) or ministack (profile `free`, SANDBOX_AWS_EMULATOR=free).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.config import Settings
from sandbox.errors import BackendUnavailableError, ConfigError, ServiceStartError
from sandbox.stack.backend import StartResult, unknown_service
from sandbox.stack.model import ServiceStatus, StackStatus, State
from sandbox.stack.specs import SERVICE_NAMES, service_specs

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "compose.yaml"
EMULATOR_PROFILES = {"localstack": "localstack", "free": "free"}
START_TIMEOUT = 600.0  # the first start pulls images and builds the app


class ComposeBackend:
    name = "compose"

    def __init__(self, settings: Settings, docker: str | None = None) -> None:
        self.settings = settings
        self.docker = docker or os.environ.get("SANDBOX_DOCKER", "docker")
        self.project = "sandbox-" + hashlib.sha256(str(settings.home).encode()).hexdigest()[:10]
        self.profile = _profile(os.environ.get("SANDBOX_AWS_EMULATOR", "localstack"))

    # -- the contract ---------------------------------------------------------------------

    def start(
        self, progress: Callable[[StackStatus], None] | None = None, timeout: float = START_TIMEOUT
    ) -> StartResult:
        current = self.status()
        if current.all_healthy:
            return StartResult(current, already_running=True)
        wait = ["--wait", "--wait-timeout", str(int(timeout))]
        result = self.compose("up", "--detach", "--build", *wait, check=False)
        if result.returncode != 0:
            raise ServiceStartError(
                "compose", "docker compose up failed", "run `sandbox logs` to see why",
                _last_lines(result.stderr),
            )  # fmt: skip
        status = self.status()
        if progress:
            progress(status)
        return StartResult(status, already_running=False)

    def stop(self, timeout: float = 30.0) -> StackStatus:
        self.compose("down", "--timeout", str(int(timeout)))
        return self.status()

    def reset(self) -> None:
        self.compose("down", "--volumes", "--timeout", "30")
        shutil.rmtree(self.settings.home, ignore_errors=True)

    def stop_service(self, service: str, timeout: float = 30.0) -> None:
        self.compose("stop", "--timeout", str(int(timeout)), self._compose_service(service))

    def start_service(self, service: str, timeout: float = 60.0) -> None:
        wait = ["--wait", "--wait-timeout", str(int(timeout))]
        self.compose("up", "--detach", *wait, self._compose_service(service))

    def reload_app(self, timeout: float = 60.0) -> None:
        self.compose("kill", "--signal", "SIGHUP", "app")

    def status(self) -> StackStatus:
        ids = self.compose("ps", "--all", "--quiet").stdout.split()
        inspected = json.loads(self._docker("inspect", *ids).stdout) if ids else []
        return stack_status(inspected, self.settings, self.profile)

    def endpoint(self, service: str) -> str:
        specs = service_specs(self.settings)
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
        if service is not None and service not in SERVICE_NAMES:
            raise unknown_service(service)
        args = ["logs", "--no-color", "--timestamps"]
        args += ["--since", since.isoformat()] if since else []
        args += ["--follow"] if follow else []
        args += [self._compose_service(service)] if service else []
        yield from self._stream(self._compose_argv(*args), stop)

    # -- running docker -------------------------------------------------------------------

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run(self._compose_argv(*args), check)

    def _compose_argv(self, *args: str) -> list[str]:
        return [self.docker, "compose", "-f", str(COMPOSE_FILE), "-p", self.project, *args]

    def _docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run([self.docker, *args], check=True)

    def environment(self) -> dict[str, str]:
        s = self.settings
        env = {**os.environ, "COMPOSE_PROFILES": self.profile}
        env.update(
            SANDBOX_POSTGRES_PORT=str(s.postgres_port), SANDBOX_REDIS_PORT=str(s.redis_port),
            SANDBOX_AWS_PORT=str(s.aws_port), SANDBOX_APP_PORT=str(s.app_port),
        )  # fmt: skip
        return env

    def require_engine(self) -> None:
        """Fail clearly, naming the embedded backend, when no Docker engine answers."""
        try:
            result = subprocess.run(
                [self.docker, "info", "--format", "{{.ServerVersion}}"],
                capture_output=True, text=True, timeout=15, check=False,
            )  # fmt: skip
        except FileNotFoundError:
            raise _no_engine(f"the `{self.docker}` command is not installed") from None
        except subprocess.TimeoutExpired:
            raise _no_engine("the Docker engine did not answer within 15 s") from None
        if result.returncode != 0:
            raise _no_engine(_last_lines(result.stderr, 2) or "docker info failed")

    def _run(self, argv: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        self.require_engine()
        result = subprocess.run(
            argv, capture_output=True, text=True, env=self.environment(), check=False
        )
        if check and result.returncode != 0:
            raise ServiceStartError(
                "compose", f"`{' '.join(argv[1:4])} ...` failed", "", _last_lines(result.stderr)
            )
        return result

    def _stream(self, argv: list[str], stop: Callable[[], bool]) -> Iterator[str]:
        self.require_engine()
        with subprocess.Popen(
            argv, stdout=subprocess.PIPE, text=True, env=self.environment()
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                yield line.rstrip("\n")
                if stop():
                    proc.terminate()
                    break

    def _compose_service(self, service: str) -> str:
        return "aws-free" if service == "aws" and self.profile == "free" else service


def stack_status(inspected: list[dict[str, Any]], settings: Settings, profile: str) -> StackStatus:
    """Map `docker inspect` output of the project's containers to the common status shape."""
    specs = service_specs(settings)
    services = {n: ServiceStatus(n, State.STOPPED, s.port, s.url) for n, s in specs.items()}
    for container in inspected:
        labels = container.get("Config", {}).get("Labels", {}) or {}
        name = labels.get("com.docker.compose.service", "")
        name = "aws" if name == "aws-free" else name
        if name in services:
            services[name] = container_status(container, services[name])
    return StackStatus(backend="compose", services=services, home=str(settings.home))


def container_status(container: dict[str, Any], base: ServiceStatus) -> ServiceStatus:
    state = container.get("State", {})
    health = (state.get("Health") or {}).get("Status", "")
    mapped = _map_state(state.get("Status", ""), health, state.get("ExitCode", 0))
    running = mapped in (State.HEALTHY, State.UNHEALTHY, State.STARTING)
    return ServiceStatus(
        name=base.name, state=mapped, port=base.port, url=base.url,
        pid=state.get("Pid") or None if running else None,
        started_at=_timestamp(state.get("StartedAt", "")) if running else None,
        restarts=int(container.get("RestartCount", 0)),
        error=state.get("Error", "") or "",
    )  # fmt: skip


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


def _timestamp(text: str) -> float | None:
    if not text or text.startswith("0001-"):
        return None
    try:  # Docker prints nanoseconds; Python's parser takes microseconds
        head, _, rest = text.partition(".")
        zone = rest[rest.find("Z") :] if "Z" in rest else ""
        return datetime.fromisoformat(f"{head}.{rest[:6]}{zone.replace('Z', '+00:00')}").timestamp()
    except ValueError:
        return None


def _profile(name: str) -> str:
    if name not in EMULATOR_PROFILES:
        raise ConfigError(
            f"SANDBOX_AWS_EMULATOR={name!r} is not an emulator",
            "use localstack (the default) or free (ministack)",
        )
    return EMULATOR_PROFILES[name]


def _no_engine(reason: str) -> BackendUnavailableError:
    return BackendUnavailableError(
        f"the compose backend needs a running Docker engine: {reason}",
        "use the embedded backend (the default, no Docker needed): `sandbox up --backend "
        "embedded`, or start Docker and try again",
    )


def _last_lines(text: str, count: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-count:])
