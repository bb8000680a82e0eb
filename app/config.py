"""Configuration from environment variables only (twelve-factor III), validated at start."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class ConfigError(ValueError):
    """A variable is missing or has a bad value; the message names it and says what to set."""


@dataclass(frozen=True)
class AppConfig:
    database_url: str
    redis_url: str
    cache_ttl: int = 300
    database_pool_size: int = 10
    log_level: str = "INFO"
    app_name: str = "cloud-native-app"
    app_version: str = "1.0.0"
    environment: str = "development"
    enable_caching: bool = True
    enable_metrics: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppConfig:
        env = os.environ if env is None else env
        reader = _Reader(env)
        config = cls(
            database_url=reader.url("DATABASE_URL", ("postgresql", "postgres")),
            redis_url=reader.url("REDIS_URL", ("redis", "rediss", "unix")),
            cache_ttl=reader.integer("CACHE_TTL", 300, low=1, high=86_400),
            database_pool_size=reader.integer("DATABASE_POOL_SIZE", 10, low=1, high=100),
            log_level=reader.choice("LOG_LEVEL", "INFO", LOG_LEVELS),
            app_name=reader.text("APP_NAME", "cloud-native-app"),
            app_version=reader.text("APP_VERSION", "1.0.0"),
            environment=reader.text("ENVIRONMENT", "development"),
            enable_caching=reader.flag("ENABLE_CACHING", True),
            enable_metrics=reader.flag("ENABLE_METRICS", True),
        )
        reader.raise_if_errors()
        return config

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


class _Reader:
    """Reads variables and collects every problem, so one start reports them all."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.errors: list[str] = []

    def raw(self, name: str) -> str:
        return self.env.get(name, "").strip()

    def url(self, name: str, schemes: tuple[str, ...]) -> str:
        value = self.raw(name)
        if not value:
            self.errors.append(f"{name} is not set: set it to a {schemes[0]}:// URL")
        elif urlsplit(value).scheme not in schemes:
            self.errors.append(f"{name} must be a {' or '.join(schemes)} URL, got {_mask(value)}")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.raw(name)
        if not value:
            return default
        if not value.lstrip("-").isdigit() or not low <= int(value) <= high:
            self.errors.append(f"{name}={value!r} must be a whole number from {low} to {high}")
            return default
        return int(value)

    def choice(self, name: str, default: str, options: tuple[str, ...]) -> str:
        value = self.raw(name).upper() or default
        if value not in options:
            self.errors.append(f"{name}={value!r} must be one of {', '.join(options)}")
            return default
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name).lower()
        if not value:
            return default
        if value not in TRUE + FALSE:
            self.errors.append(f"{name}={value!r} must be true or false")
            return default
        return value in TRUE

    def text(self, name: str, default: str) -> str:
        return self.raw(name) or default

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ConfigError("invalid configuration: " + "; ".join(self.errors))


def _mask(url: str) -> str:
    """Show a URL without its password."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
