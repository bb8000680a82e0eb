"""One registry of services: ports, CLI choices, start and stop order all come from it."""

from __future__ import annotations

from sandbox import cli_stack
from sandbox.config import Settings
from sandbox.services import registry
from sandbox.stack.specs import SERVICE_NAMES, STOP_ORDER, free_port_variables, service_specs


def test_every_service_comes_after_what_it_depends_on() -> None:
    seen: set[str] = set()
    for service in registry.SERVICES:
        assert set(service.depends_on) <= seen, f"{service.name} starts before its dependencies"
        seen.add(service.name)


def test_the_app_stops_first_and_its_databases_last() -> None:
    assert STOP_ORDER[0] == "app"
    assert STOP_ORDER.index("postgres") > STOP_ORDER.index("app")


def test_every_service_has_its_own_port_setting_and_default() -> None:
    defaults = [s.default_port for s in registry.SERVICES]
    assert len(set(defaults)) == len(defaults)
    settings = Settings.from_env({"SANDBOX_FAULTS_PORT": "18474"})
    assert settings.ports["faults"] == 18474
    assert settings.ports["aws"] == 4566
    assert service_specs(settings)["faults"].url == "http://127.0.0.1:18474"


def test_the_cli_offers_every_registered_service() -> None:
    for command in (cli_stack.stop_service, cli_stack.start_service, cli_stack.restart_service):
        assert tuple(command.params[0].type.choices) == SERVICE_NAMES  # type: ignore[attr-defined]


def test_free_port_variables_cover_every_service() -> None:
    variables = free_port_variables()
    assert set(variables) == {s.port_variable for s in registry.SERVICES}
    assert len(set(variables.values())) == len(variables)
