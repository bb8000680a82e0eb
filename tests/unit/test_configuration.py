"""Configuration from the environment: defaults, and one clear message for every bad value."""

from __future__ import annotations

import pytest

from app.config import AppConfig, ConfigError
from sandbox.config import Settings
from sandbox.errors import ConfigError as SandboxConfigError

BASE = {
    "DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/db",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_app_defaults() -> None:
    config = AppConfig.from_env(BASE)
    assert (config.cache_ttl, config.log_level, config.enable_caching) == (300, "INFO", True)


def test_app_reads_every_variable() -> None:
    env = {
        **BASE, "CACHE_TTL": "60", "LOG_LEVEL": "debug", "APP_VERSION": "2.1.0",
        "ENVIRONMENT": "staging", "ENABLE_CACHING": "false", "DATABASE_POOL_SIZE": "4",
    }  # fmt: skip
    config = AppConfig.from_env(env)
    assert config.cache_ttl == 60
    assert config.log_level == "DEBUG"
    assert (config.app_version, config.environment) == ("2.1.0", "staging")
    assert config.enable_caching is False
    assert config.database_pool_size == 4


def test_app_reports_every_bad_value_at_once() -> None:
    env = {"REDIS_URL": "http://nope", "CACHE_TTL": "-5", "ENABLE_METRICS": "maybe"}
    with pytest.raises(ConfigError) as caught:
        AppConfig.from_env(env)
    message = str(caught.value)
    assert "DATABASE_URL is not set" in message
    assert "REDIS_URL must be a redis" in message
    assert "CACHE_TTL='-5' must be a whole number from 1" in message
    assert "ENABLE_METRICS='maybe' must be true or false" in message


def test_app_never_prints_a_database_password() -> None:
    with pytest.raises(ConfigError) as caught:
        AppConfig.from_env({**BASE, "DATABASE_URL": "mysql://admin:hunter2@db/x"})
    assert "hunter2" not in str(caught.value)


def test_sandbox_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env({})
    assert (settings.postgres_port, settings.redis_port, settings.app_port) == (15432, 16379, 8080)
    assert settings.aws_port == 4566
    assert settings.home.name == ".sandbox"


def test_sandbox_home_and_ports_from_environment() -> None:
    settings = Settings.from_env({"SANDBOX_HOME": "/tmp/elsewhere", "SANDBOX_REDIS_PORT": "7000"})
    assert str(settings.home) == "/tmp/elsewhere"
    assert settings.redis_port == 7000


@pytest.mark.parametrize("value", ["abc", "80", "70000", "-1"])
def test_sandbox_rejects_bad_ports(value: str) -> None:
    with pytest.raises(SandboxConfigError) as caught:
        Settings.from_env({"SANDBOX_APP_PORT": value})
    assert f"SANDBOX_APP_PORT={value!r} is not a usable port" in caught.value.render()
    assert "1024 to 65535" in caught.value.render()
