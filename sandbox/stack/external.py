"""The external backend: services the sandbox does not start.

The AWS side is an endpoint (SANDBOX_AWS_ENDPOINT, e.g. a classroom emulator), or real AWS when
that is unset (boto3's own credential chain and region). PostgreSQL, Redis and the app are
reached by URL (SANDBOX_POSTGRES_URL, SANDBOX_REDIS_URL, SANDBOX_APP_URL).

Nothing is started, stopped or deleted here. `start` probes what is configured and fails,
naming each service, when one does not answer; `stop` leaves the services alone and `reset`
deletes only the local state dir; stopping or starting one service, reloading the app and
reading logs are refused with `UncontrolledServiceError`. A service that is not configured
shows as stopped with the variable that configures it, and does not count against the stack
being healthy (`ExternalStatus`). `status` never calls real AWS; `start` (`sandbox up`) asks
STS who the credentials are, and `sandbox deploy` names the account and asks first.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sandbox.aws.clients import REAL_AWS, caller_identity
from sandbox.config import EXTERNAL_URLS, Settings
from sandbox.errors import (
    ConfigError,
    SandboxError,
    StackNotRunningError,
    UncontrolledServiceError,
)
from sandbox.services.aws import HEALTH_PATH
from sandbox.stack import NAMES
from sandbox.stack.backend import StartResult, unknown_service
from sandbox.stack.model import ServiceStatus, StackStatus, State

PROBE_TIMEOUT = 3.0
# service -> (its variable, an example value), from the one table in config.py
VARIABLES = {key.partition("_")[0]: (name, example) for key, name, _, example in EXTERNAL_URLS}
# The services an external target has: those with a URL setting (not the local fault injector).
SERVICE_NAMES = tuple(VARIABLES)
DEFAULT_PORTS = {"http": 80, "https": 443, "postgresql": 5432, "redis": 6379, "rediss": 6379}
EMBEDDED = "use the embedded backend (`sandbox --backend embedded up`) for that"
# What a check cannot have here, and why; the grader's guard reads this (labs/checks/guard.py).
LIMITS = {
    "control": "the external backend cannot stop services; run this check on the embedded backend",
    "logs": "the external backend cannot read the services' logs; run this check on the "
    "embedded backend",
    "faults": "the external backend runs no fault injector of ours; run this check on the "
    "embedded backend",
    "chaos": "the external backend's emulator may have no chaos API (LocalStack's is paid); "
    "run this check on the embedded backend",
}
REAL_AWS_NOTE = (
    "real AWS (the standard credential chain and region); status does not call it: "
    "`sandbox up` checks the credentials, `sandbox deploy` names the account and asks first"
)


@dataclass
class ExternalStatus(StackStatus):
    """A status in which a service nobody configured does not count: the stack is healthy
    when every configured service answers."""

    not_configured: tuple[str, ...] = ()

    @property
    def all_healthy(self) -> bool:
        used = [s for name, s in self.services.items() if name not in self.not_configured]
        return bool(used) and all(s.state is State.HEALTHY for s in used)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "not_configured": list(self.not_configured)}


class ExternalBackend:
    name = "external"
    limits = LIMITS

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # -- the contract ---------------------------------------------------------------------

    def start(
        self, progress: Callable[[StackStatus], None] | None = None, timeout: float = PROBE_TIMEOUT
    ) -> StartResult:
        """Start nothing: probe every configured service (for real AWS, ask STS who the
        credentials are) and fail, naming each one, when any does not answer. Nothing is
        waited for: each probe gives up after PROBE_TIMEOUT, whatever `timeout` says."""
        status = self._probe(identify=True)
        if progress:
            progress(status)
        failing = [s for s in status.services.values() if s.state is State.UNHEALTHY]
        if failing:
            raise StackNotRunningError(
                "some external services do not answer:\n"
                + "\n".join(f"  {s.name}: {s.error}" for s in failing),
                "fix the URL or start that server, then run `sandbox up` again",
            )
        return StartResult(status, already_running=False)

    def stop(self, timeout: float = 0.0) -> StackStatus:
        """Stop nothing: the services run elsewhere and outlive the sandbox."""
        return self.status()

    def reset(self) -> None:
        """Delete the local state dir (lab progress, the remembered backend) only: the data
        in the external services is not the sandbox's to delete."""
        shutil.rmtree(self.settings.home, ignore_errors=True)

    def stop_service(self, service: str, timeout: float = 0.0) -> None:
        raise _uncontrolled(service, "stop")

    def start_service(self, service: str, timeout: float = 0.0) -> None:
        raise _uncontrolled(service, "start")

    def reload_app(self, timeout: float = 0.0) -> None:
        raise _uncontrolled("app", "reload")

    def status(self) -> StackStatus:
        return self._probe(identify=False)

    def endpoint(self, service: str) -> str:
        if service not in SERVICE_NAMES:
            raise unknown_service(service)
        url = self.configured(service)
        if url is None:
            variable, example = VARIABLES[service]
            raise ConfigError(
                f"the external backend has no {NAMES[service]}: {variable} is not set",
                f"set {variable} (e.g. {example}), or use the embedded backend",
            )
        return url

    def logs(
        self,
        service: str | None = None,
        since: datetime | None = None,
        follow: bool = False,
        stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[str]:
        if service is not None and service not in (*SERVICE_NAMES, "supervisor"):
            raise unknown_service(service)
        raise UncontrolledServiceError(
            "logs are not available for external services: the sandbox did not start "
            f"{service or 'them'}, so it has no log of {'it' if service else 'them'}",
            f"read the log where the server runs, or {EMBEDDED}",
        )

    # -- helpers --------------------------------------------------------------------------

    def configured(self, service: str) -> str | None:
        """The URL the settings give `service` (REAL_AWS for aws without an endpoint)."""
        s = self.settings
        urls = {
            "aws": s.aws_endpoint or REAL_AWS,
            "postgres": s.postgres_url,
            "redis": s.redis_url,
            "app": s.app_url,
        }
        return urls[service]

    def _probe(self, identify: bool) -> ExternalStatus:
        """Every service's status, probed side by side (a silent host costs one timeout)."""
        with ThreadPoolExecutor(max_workers=len(SERVICE_NAMES)) as pool:
            found = pool.map(lambda name: self._service(name, identify), SERVICE_NAMES)
            services = {s.name: s for s in found}
        missing = tuple(name for name in SERVICE_NAMES if self.configured(name) is None)
        home = str(self.settings.home)
        return ExternalStatus(self.name, services, home=home, not_configured=missing)

    def _service(self, name: str, identify: bool) -> ServiceStatus:
        url = self.configured(name)
        if url is None:
            variable, _ = VARIABLES[name]
            return ServiceStatus(name, State.STOPPED, error=f"not configured (set {variable})")
        if url == REAL_AWS:
            return _real_aws(identify)
        status = ServiceStatus(name, State.HEALTHY, _port(url), url)
        why = PROBES[name](url)
        if why is not None:
            status.state = State.UNHEALTHY
            status.error = f"{_address(url)} {why}; check {VARIABLES[name][0]}"
        return status


def _uncontrolled(service: str, verb: str) -> SandboxError:
    if service not in SERVICE_NAMES:
        return unknown_service(service)
    return UncontrolledServiceError(
        f"the external backend does not control processes: it did not start {service}, "
        f"so it cannot {verb} it",
        f"{verb} it where it runs, or {EMBEDDED}",
    )


def _real_aws(identify: bool) -> ServiceStatus:
    """Real AWS: healthy as far as status knows (it makes no call); with `identify`, one STS
    call says which account the credentials belong to, or why there are none."""
    status = ServiceStatus("aws", State.HEALTHY, 443, REAL_AWS, error=REAL_AWS_NOTE)
    if not identify:
        return status
    try:
        who = caller_identity(REAL_AWS)
    except SandboxError as err:
        status.state, status.error = State.UNHEALTHY, f"{err.message}; {err.hint}"
        return status
    status.error = f"real AWS account {who.account} ({who.arn}) in region {who.region}"
    return status


# -- probes: None when the service answers, else why not ------------------------------------


def _emulator(url: str) -> str | None:
    return _http(url + HEALTH_PATH, b'"services"')


def _app(url: str) -> str | None:
    return _http(url + "/health")


def _http(url: str, contains: bytes = b"") -> str | None:
    path = urlsplit(url).path
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as err:
        return f"answered GET {path} with {err.code}"
    except (urllib.error.URLError, OSError, ValueError) as err:
        return f"does not answer ({_why(err)})"
    return None if contains in body else f"answered GET {path} without {contains.decode()}"


def _postgres(url: str) -> str | None:
    import psycopg2  # only the external backend probes PostgreSQL with a client

    try:
        psycopg2.connect(url, connect_timeout=int(PROBE_TIMEOUT)).close()
    except psycopg2.Error as err:
        return f"does not accept a connection ({_first_line(err)})"
    return None


def _redis(url: str) -> str | None:
    import redis  # only the external backend probes Redis with a client

    client = redis.Redis.from_url(
        url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as err:
        return f"does not answer PING ({_first_line(err)})"
    finally:
        client.close()
    return None


PROBES: dict[str, Callable[[str], str | None]] = {
    "aws": _emulator,
    "postgres": _postgres,
    "redis": _redis,
    "app": _app,
}


def _why(err: BaseException) -> str:
    inner = getattr(err, "reason", err)  # a URLError wraps the socket's error
    if isinstance(inner, TimeoutError):
        return f"no answer within {PROBE_TIMEOUT:g} s"
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror.lower()
    return _first_line(inner)


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0].strip()


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or DEFAULT_PORTS.get(parts.scheme, 0)


def _address(url: str) -> str:
    """Scheme, host and port only: a database URL carries a password."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{_port(url)}"
