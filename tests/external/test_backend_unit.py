"""The external backend's settings, endpoints, status semantics and limits, without servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.aws.clients import REAL_AWS
from sandbox.config import Settings
from sandbox.errors import ConfigError, UncontrolledServiceError
from sandbox.labs.checks.base import Capability, CheckContext, limit
from sandbox.labs.checks.fault import KIND as FAULT
from sandbox.labs.checks.guard import run
from sandbox.labs.checks.log_line import KIND as LOG_LINE
from sandbox.stack import get_backend
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.external import ExternalBackend, ExternalStatus
from sandbox.stack.model import ServiceStatus, State


def settings(tmp_path: Path, **variables: str) -> Settings:
    return Settings.from_env({"SANDBOX_HOME": str(tmp_path), **variables})


def test_the_four_urls_are_read_and_an_http_url_loses_its_trailing_slash(tmp_path: Path) -> None:
    read = settings(
        tmp_path,
        SANDBOX_AWS_ENDPOINT="http://127.0.0.1:4566/",
        SANDBOX_POSTGRES_URL="postgresql://u:pw@127.0.0.1:5432/db",
        SANDBOX_REDIS_URL="rediss://127.0.0.1:6380/1",
        SANDBOX_APP_URL="https://127.0.0.1:8443",
    )
    assert (read.aws_endpoint, read.postgres_url, read.redis_url, read.app_url) == (
        "http://127.0.0.1:4566",
        "postgresql://u:pw@127.0.0.1:5432/db",
        "rediss://127.0.0.1:6380/1",
        "https://127.0.0.1:8443",
    )
    assert settings(tmp_path).postgres_url is None  # unset: not configured


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SANDBOX_AWS_ENDPOINT", "127.0.0.1:4566", "write it like http://10.0.0.5:4566"),
        ("SANDBOX_APP_URL", "ftp://127.0.0.1/app", "(scheme http or https)"),
        ("SANDBOX_POSTGRES_URL", "postgresql:///db", "(scheme postgresql)"),
        ("SANDBOX_REDIS_URL", "redis://127.0.0.1:port/0", "(scheme redis or rediss)"),
    ],
)
def test_a_url_that_cannot_be_used_is_a_config_error_naming_its_variable(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        settings(tmp_path, **{variable: value})
    assert raised.value.message == f"{variable}={value!r} is not a usable URL"
    assert expected in raised.value.hint
    assert f"or unset {variable}" in raised.value.hint


def test_external_is_a_backend_and_the_factory_builds_it(tmp_path: Path) -> None:
    chosen = settings(tmp_path, SANDBOX_BACKEND="external")
    assert isinstance(get_backend(chosen), ExternalBackend)
    with pytest.raises(ConfigError) as raised:
        settings(tmp_path, SANDBOX_BACKEND="kubernetes")
    assert "or external (services the sandbox does not start" in raised.value.hint


def test_endpoints_are_the_configured_urls_or_real_aws(tmp_path: Path) -> None:
    backend = ExternalBackend(settings(tmp_path, SANDBOX_REDIS_URL="redis://127.0.0.1:1/0"))
    assert backend.endpoint("redis") == "redis://127.0.0.1:1/0"
    assert backend.endpoint("aws") == REAL_AWS
    with pytest.raises(ConfigError) as raised:
        backend.endpoint("postgres")
    assert raised.value.render() == (
        "the external backend has no PostgreSQL: SANDBOX_POSTGRES_URL is not set\n"
        "  -> set SANDBOX_POSTGRES_URL (e.g. postgresql://u:pw@10.0.0.5/db), or use the "
        "embedded backend"
    )


def test_only_configured_services_count_for_a_healthy_stack() -> None:
    services = {
        "aws": ServiceStatus("aws", State.HEALTHY),
        "postgres": ServiceStatus("postgres", State.STOPPED),
    }
    status = ExternalStatus("external", services, not_configured=("postgres",))
    assert status.all_healthy
    assert status.to_dict()["not_configured"] == ["postgres"]
    services["aws"].state = State.UNHEALTHY
    assert not status.all_healthy


def test_reset_deletes_only_the_local_state_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "labs").mkdir(parents=True)
    ExternalBackend(settings(home)).reset()
    assert not home.exists()


def test_the_process_controls_refuse_with_the_reason(tmp_path: Path) -> None:
    backend = ExternalBackend(settings(tmp_path))
    with pytest.raises(UncontrolledServiceError, match="cannot stop it"):
        backend.stop_service("redis")
    with pytest.raises(UncontrolledServiceError, match="cannot reload it"):
        backend.reload_app()
    with pytest.raises(ConfigError, match="there is no service called 'mysql'"):
        backend.start_service("mysql")


def test_only_the_external_backend_has_limits(tmp_path: Path) -> None:
    external, embedded = ExternalBackend(settings(tmp_path)), EmbeddedBackend(settings(tmp_path))
    assert limit(embedded, Capability.CONTROL) is None
    assert limit(None, Capability.LOGS) is None
    assert limit(external, Capability.CONTROL) == (
        "the external backend cannot stop services; run this check on the embedded backend"
    )


def test_the_guard_makes_a_check_needing_what_the_backend_lacks_unknown(tmp_path: Path) -> None:
    ctx = CheckContext(
        workspace=tmp_path,
        lab_dir=tmp_path,
        endpoints={"redis": "redis://127.0.0.1:1/0", "app": "http://127.0.0.1:1"},
        control=ExternalBackend(settings(tmp_path)),
    )
    fault = FAULT.params.model_validate({"stop": "redis", "check": {"kind": "http"}})
    stopped = run(FAULT, fault, ctx)
    assert (stopped.status, stopped.message) == (
        "unknown",
        "the external backend cannot stop services; run this check on the embedded backend",
    )
    logged = run(LOG_LINE, LOG_LINE.params.model_validate({}), ctx)
    assert logged.status == "unknown"
    assert "cannot read the services' logs" in logged.message
