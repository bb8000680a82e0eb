"""Services a lab declares (`lab_services:` in its lab.yaml), as the embedded stack runs them.

`sandbox lab start` resolves them (folders, ports, placeholders) and writes them to
`<home>/lab-services.json`; the supervisor reads that file at start and whenever it
changes, and runs each like a built-in service: started once its dependencies are healthy,
restarted when it dies, stopped first at `down`. A service may sit behind a fault proxy of
its own name; clients and Cloud Map then find it at the proxy's port.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sandbox import atomicfile, processlock
from sandbox.config import Settings
from sandbox.errors import SandboxError, StateError
from sandbox.readiness import HttpCheck
from sandbox.services import aws, postgres, redis
from sandbox.services.process import ServerProcess, ensure_port_free, spawn, wait_until_ready
from sandbox.stack.specs import port_variables

FILE_NAME = "lab-services.json"


@dataclass(frozen=True)
class LabServiceSpec:
    name: str
    lab: str  # the lab that declared it: `lab stop` removes exactly its services
    cwd: str
    command: tuple[str, ...]
    port: int
    title: str = ""
    ready: str = "/health"  # GET path answering 2xx once the service serves
    proxy_port: int | None = None  # listen port of its fault proxy (named after it)
    env: Mapping[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    start_timeout: float = 30.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def port_variable(self) -> str:
        return port_variable(self.name)

    def readiness(self) -> HttpCheck:
        return HttpCheck(f"{self.url}{self.ready}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabServiceSpec:
        values = dict(data)
        values["command"] = tuple(values.get("command") or ())
        values["depends_on"] = tuple(values.get("depends_on") or ())
        return cls(**values)


def port_variable(name: str, proxy: bool = False) -> str:
    """SANDBOX_<NAME>_PORT (or _PROXY_PORT): where a lab service's port is overridden."""
    return f"SANDBOX_{name.upper().replace('-', '_')}{'_PROXY' if proxy else ''}_PORT"


def path(home: Path) -> Path:
    return home / FILE_NAME


def read(home: Path) -> dict[str, LabServiceSpec]:
    """The lab services the stack should run now, by name ({} when none)."""
    try:
        data = json.loads(path(home).read_text())
        return {entry["name"]: LabServiceSpec.from_dict(entry) for entry in data["services"]}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise StateError(
            f"the lab services file {path(home)} is unreadable: {err}",
            "run `sandbox lab stop` to clear it, then `sandbox lab start LAB` again",
        ) from err


def signature(home: Path) -> tuple[int, int] | None:
    """Changes whenever the file does: the supervisor polls this, not the contents."""
    try:
        stat = path(home).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def write(home: Path, specs: Iterable[LabServiceSpec]) -> None:
    """Atomically, so the supervisor never reads half a file."""
    entries = [{**asdict(spec), "env": dict(spec.env)} for spec in specs]
    atomicfile.write_text(path(home), json.dumps({"services": entries}, indent=2))


def replace_lab(home: Path, lab: str, specs: Iterable[LabServiceSpec]) -> None:
    """Set `lab`'s services (none: remove them), keeping other labs' services."""
    with processlock.locked(path(home)):
        kept = [spec for spec in read(home).values() if spec.lab != lab]
        write(home, [*kept, *specs])


def launch(spec: LabServiceSpec, settings: Settings) -> ServerProcess:
    """Start it, wait until its readiness path answers, then put its proxy in front."""
    ensure_port_free(spec.name, spec.port, spec.port_variable)
    log_path = settings.home / "logs" / f"{spec.name}.log"
    env = {**_base_environment(), **stack_environment(settings), "PORT": str(spec.port)}
    env.update(spec.env)
    popen = spawn(spec.name, spec.command, log_path, env=env, cwd=Path(spec.cwd))
    server = ServerProcess(spec.name, popen, spec.port, spec.url, log_path, signal.SIGTERM)
    wait_until_ready(server, spec.readiness(), spec.start_timeout)
    if spec.proxy_port is not None:
        try:
            ensure_proxy(settings, spec)
        except SandboxError:
            server.stop()
            raise
    return server


def stack_environment(settings: Settings) -> dict[str, str]:
    """Where a lab service finds the stack: the same names the app and Lambdas use."""
    return {
        "AWS_ENDPOINT_URL": aws.url(settings.aws_port),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "DATABASE_URL": postgres.url(settings.postgres_port),
        "REDIS_URL": redis.url(settings.redis_port),
        "SANDBOX_FAULTS_URL": f"http://127.0.0.1:{settings.ports['faults']}",
        "SANDBOX_NAMESPACE": NAMESPACE,
        "PYTHONUNBUFFERED": "1",
        **port_variables(settings.ports),
    }


NAMESPACE = "sandbox"  # the Cloud Map HTTP namespace every service is registered in


def _base_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("SANDBOX_")}


def ensure_proxy(settings: Settings, spec: LabServiceSpec) -> None:
    """The service's fault proxy listens on its proxy port and forwards to the service,
    enabled: created, or corrected if an earlier run left it different."""
    from sandbox.faults.client import FaultsClient

    client = FaultsClient(f"http://127.0.0.1:{settings.ports['faults']}")
    listen, upstream = f"127.0.0.1:{spec.proxy_port}", f"127.0.0.1:{spec.port}"
    current = client.proxies().get(spec.name)
    if current is None:
        client.create_proxy(spec.name, listen, upstream)
    elif (current.get("listen"), current.get("upstream"), current.get("enabled")) != (
        listen,
        upstream,
        True,
    ):
        client.update_proxy(spec.name, listen=listen, upstream=upstream, enabled=True)


def remove_proxy(settings: Settings, spec: LabServiceSpec) -> None:
    """When the lab leaves the stack its proxy goes too (best effort: faults may be down)."""
    from sandbox.faults.client import FaultsClient

    try:
        client = FaultsClient(f"http://127.0.0.1:{settings.ports['faults']}", timeout=2.0)
        if spec.name in client.proxies():
            client.delete_proxy(spec.name)
    except SandboxError:
        pass
