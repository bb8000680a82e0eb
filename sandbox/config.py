"""Settings from SANDBOX_* environment variables, read in one place."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from sandbox import atomicfile
from sandbox.errors import ConfigError

BACKENDS = ("embedded", "compose", "external")
GRADER_KEY = "SANDBOX_GRADER_KEY"
_withheld: dict[str, str] = {}  # the grader key, once taken out of the environment


def withhold_grader_key(environ: MutableMapping[str, str] = os.environ) -> None:
    """Take the instructor's key out of this process's environment, keeping it for Settings.

    Every process the sandbox starts inherits the environment: the stack, the learner's app
    and Lambda, a workflow's steps, the learner's tests. The learner's code must not read
    the key a forged report would be signed with. The CLI calls this before any command."""
    key = environ.pop(GRADER_KEY, None)
    if key:
        _withheld[GRADER_KEY] = key
    else:
        _withheld.pop(GRADER_KEY, None)


@dataclass(frozen=True)
class Settings:
    """Where state lives and which ports the services use."""

    home: Path
    ports: Mapping[str, int]  # every registered service's port (SANDBOX_<NAME>_PORT)
    postgres_bin_dir: Path | None
    app_dir: Path
    lambda_dir: Path
    backend: str
    # The external backend's services (None: not configured; for aws: real AWS).
    aws_endpoint: str | None = None
    postgres_url: str | None = None
    redis_url: str | None = None
    app_url: str | None = None
    # The compose backend: the docker command, the emulator's compose profile, and compose
    # files applied after compose.yaml (e.g. CI's offline stand-in images).
    docker: str = "docker"
    aws_emulator: str = "localstack"
    compose_files: tuple[Path, ...] = ()
    # An instructor's key: lab reports are signed with it (HMAC-SHA256), and verified.
    grader_key: str | None = field(default=None, repr=False)
    # Where snapshots are kept: beside the state dir, so `sandbox reset` does not delete them.
    snapshot_dir: Path | None = None  # None: <home>-snapshots

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        pg_bin = env.get("SANDBOX_POSTGRES_BIN_DIR", "").strip()
        home = Path(env.get("SANDBOX_HOME", ".sandbox")).absolute()
        overrides = read_overrides(home)
        return cls(
            home=home,
            ports=_ports(env),
            postgres_bin_dir=Path(pg_bin) if pg_bin else None,
            app_dir=_dir(env, overrides, "app_dir", _repo_root()),
            lambda_dir=_dir(env, overrides, "lambda_dir", f"{_repo_root()}/lambda"),
            backend=_backend(env),
            docker=env.get("SANDBOX_DOCKER", "").strip() or "docker",
            aws_emulator=_emulator(env),
            compose_files=_compose_files(env),
            grader_key=env.get(GRADER_KEY) or _withheld.get(GRADER_KEY),
            snapshot_dir=_optional_dir(env, "SANDBOX_SNAPSHOT_DIR"),
            **_external_urls(env),
        )

    # Shortcuts for the services the core itself talks to; any service: ports[name].
    @property
    def postgres_port(self) -> int:
        return self.ports["postgres"]

    @property
    def snapshots(self) -> Path:
        return self.snapshot_dir or self.home.with_name(self.home.name + "-snapshots")

    @property
    def redis_port(self) -> int:
        return self.ports["redis"]

    @property
    def aws_port(self) -> int:
        return self.ports["aws"]

    @property
    def app_port(self) -> int:
        return self.ports["app"]

    def repointed(self, env: Mapping[str, str] | None = None) -> Settings:
        """The same settings with the app's and the Lambda's folders read again: a lab
        started or left since these settings were read points them elsewhere."""
        env = os.environ if env is None else env
        overrides = read_overrides(self.home)
        return replace(
            self,
            app_dir=_dir(env, overrides, "app_dir", _repo_root()),
            lambda_dir=_dir(env, overrides, "lambda_dir", f"{_repo_root()}/lambda"),
        )


def _ports(env: Mapping[str, str]) -> dict[str, int]:
    # Imported when settings are read: the service modules are heavy (urllib, psutil), and
    # `sandbox --version` or `sandbox check` import this module for BACKENDS only.
    from sandbox.services.registry import SERVICES

    return {d.name: port_setting(env, d.port_variable, d.default_port) for d in SERVICES}


def port_setting(env: Mapping[str, str], name: str, default: int) -> int:
    """The port a SANDBOX_*_PORT variable sets, or `default` when it is unset."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise ConfigError(
            f"{name}={raw!r} is not a usable port",
            f"set {name} to a number from 1024 to 65535, or unset it for {default}",
        )
    return int(raw)


def _repo_root() -> str:
    # The directory holding the `app` package: the repository in a source checkout.
    return str(Path(__file__).resolve().parent.parent)


def _backend(env: Mapping[str, str]) -> str:
    name = env.get("SANDBOX_BACKEND", "").strip().lower() or "embedded"
    if name not in BACKENDS:
        raise ConfigError(
            f"SANDBOX_BACKEND={name!r} is not a backend",
            "use embedded (the default, no Docker needed), compose (needs Docker) or external "
            "(services the sandbox does not start: SANDBOX_AWS_ENDPOINT, SANDBOX_POSTGRES_URL, "
            "SANDBOX_REDIS_URL, SANDBOX_APP_URL)",
        )
    return name


# The external backend's services: field, variable, accepted schemes, an example.
EXTERNAL_URLS = (
    ("aws_endpoint", "SANDBOX_AWS_ENDPOINT", ("http", "https"), "http://10.0.0.5:4566"),
    ("postgres_url", "SANDBOX_POSTGRES_URL", ("postgresql",), "postgresql://u:pw@10.0.0.5/db"),
    ("redis_url", "SANDBOX_REDIS_URL", ("redis", "rediss"), "redis://10.0.0.5:6379/0"),
    ("app_url", "SANDBOX_APP_URL", ("http", "https"), "http://10.0.0.5:8080"),
)


def _external_urls(env: Mapping[str, str]) -> dict[str, str | None]:
    return {key: _url(env, name, schemes, example) for key, name, schemes, example in EXTERNAL_URLS}


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...], example: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not _parses(raw, schemes):
        raise ConfigError(
            f"{name}={_masked(raw)!r} is not a usable URL",
            f"write it like {example} (scheme {' or '.join(schemes)}), or unset {name}",
        )
    return raw.rstrip("/") if schemes[0] == "http" else raw  # an emulator or app: no slash


def _parses(raw: str, schemes: tuple[str, ...]) -> bool:
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in schemes and bool(parts.hostname)


def _masked(raw: str) -> str:
    """The URL without its password (error messages get copied into chats and tickets)."""
    try:
        password = urlsplit(raw).password
    except ValueError:
        return raw
    return raw.replace(f":{password}@", ":***@", 1) if password else raw


EMULATORS = ("localstack", "free")  # the compose backend's AWS emulators (compose profiles)


def _emulator(env: Mapping[str, str]) -> str:
    name = env.get("SANDBOX_AWS_EMULATOR", "").strip().lower() or "localstack"
    if name not in EMULATORS:
        raise ConfigError(
            f"SANDBOX_AWS_EMULATOR={name!r} is not an emulator",
            "use localstack (the default) or free (ministack), or unset it",
        )
    return name


def _compose_files(env: Mapping[str, str]) -> tuple[Path, ...]:
    """SANDBOX_COMPOSE_FILES: files separated as in COMPOSE_FILE (':' on Linux and macOS)."""
    raw = env.get("SANDBOX_COMPOSE_FILES", "")
    files = tuple(Path(part).absolute() for part in raw.split(os.pathsep) if part.strip())
    missing = [str(file) for file in files if not file.is_file()]
    if missing:
        raise ConfigError(
            f"SANDBOX_COMPOSE_FILES names {', '.join(missing)}: no such file",
            "fix the path, or unset SANDBOX_COMPOSE_FILES to use compose.yaml alone",
        )
    return files


OVERRIDES_FILE = "overrides.json"  # in the state dir: where a started lab points the stack


def read_overrides(home: Path) -> dict[str, str]:
    try:
        data = json.loads((home / OVERRIDES_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_overrides(home: Path, **dirs: Path | None) -> None:
    """Point the app service and deploy at other folders (None: back to the defaults)."""
    data = {key: str(value) for key, value in dirs.items() if value is not None}
    atomicfile.write_text(home / OVERRIDES_FILE, json.dumps(data, indent=2))


def _optional_dir(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    return Path(raw).absolute() if raw else None


def _dir(env: Mapping[str, str], overrides: dict[str, str], key: str, default: str) -> Path:
    """SANDBOX_<KEY> wins, then the state dir's overrides (a started lab), then the default."""
    value = env.get(f"SANDBOX_{key.upper()}") or overrides.get(key) or default
    return Path(value).absolute()
