"""Settings from SANDBOX_* environment variables, read in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import ConfigError

BACKENDS = ("embedded", "compose")
DEFAULT_PORTS = {"aws": 4566, "postgres": 55432, "redis": 56379, "app": 8080}


@dataclass(frozen=True)
class Settings:
    """Where state lives and which ports the services use."""

    home: Path
    postgres_port: int
    redis_port: int
    app_port: int
    aws_port: int
    postgres_bin_dir: Path | None
    app_dir: Path
    lambda_dir: Path
    backend: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        pg_bin = env.get("SANDBOX_POSTGRES_BIN_DIR", "").strip()
        return cls(
            home=Path(env.get("SANDBOX_HOME", ".sandbox")).absolute(),
            postgres_port=_port(env, "postgres"),
            redis_port=_port(env, "redis"),
            app_port=_port(env, "app"),
            aws_port=_port(env, "aws"),
            postgres_bin_dir=Path(pg_bin) if pg_bin else None,
            app_dir=Path(env.get("SANDBOX_APP_DIR", _repo_root())).absolute(),
            lambda_dir=Path(env.get("SANDBOX_LAMBDA_DIR", f"{_repo_root()}/lambda")).absolute(),
            backend=_backend(env),
        )


def _port(env: Mapping[str, str], service: str) -> int:
    name = f"SANDBOX_{service.upper()}_PORT"
    raw = env.get(name, "").strip()
    if not raw:
        return DEFAULT_PORTS[service]
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise ConfigError(
            f"{name}={raw!r} is not a usable port",
            f"set {name} to a number from 1024 to 65535, or unset it for {DEFAULT_PORTS[service]}",
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
            "use embedded (the default, no Docker needed) or compose (needs Docker)",
        )
    return name
