"""The compose backend, without a Docker engine: compose.yaml's structure and pins, the
commands the backend runs (through a FAKE docker CLI), and status mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.config import Settings
from sandbox.errors import BackendUnavailableError, ServiceStartError
from sandbox.stack import get_backend
from sandbox.stack.compose import COMPOSE_FILE, ComposeBackend, container_status, stack_status
from sandbox.stack.model import ServiceStatus, State

FAKE_DOCKER = Path(__file__).resolve().parents[1] / "fakes" / "fake_docker.py"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())


# -- compose.yaml ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_every_service_has_a_healthcheck_and_loopback_ports(name: str) -> None:
    service = COMPOSE["services"][name]
    assert service["healthcheck"]["test"]
    for mapping in service["ports"]:
        assert mapping.startswith("127.0.0.1:"), mapping


PULLED = sorted(name for name, s in COMPOSE["services"].items() if "build" not in s)


@pytest.mark.parametrize("name", PULLED)
def test_pulled_images_are_pinned_to_a_version(name: str) -> None:
    image = COMPOSE["services"][name]["image"]
    repository, _, tag = image.rpartition(":")
    assert repository, image
    assert tag != "latest", image
    assert any(ch.isdigit() for ch in tag), image


def test_localstack_is_pinned_to_a_line_that_starts_without_an_account() -> None:
    localstack = COMPOSE["services"]["aws"]
    assert localstack["image"].startswith("localstack/localstack:4.14")
    assert localstack["environment"]["LOCALSTACK_AUTH_TOKEN"] == "${LOCALSTACK_AUTH_TOKEN:-}"


def test_free_emulator_profile_replaces_localstack_on_the_same_port() -> None:
    services = COMPOSE["services"]
    assert services["aws"]["profiles"] == ["localstack"]
    assert services["aws-free"]["profiles"] == ["free"]
    assert services["aws-free"]["image"] == "ministackorg/ministack:1.5.33"
    assert services["aws"]["ports"] == services["aws-free"]["ports"]


def test_app_is_built_from_its_dockerfile_and_waits_for_healthy_backing_services() -> None:
    app = COMPOSE["services"]["app"]
    assert app["build"]["dockerfile"] == "app/Dockerfile"
    assert (COMPOSE_FILE.parent / "app" / "Dockerfile").is_file()
    assert app["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


def test_data_lives_in_named_volumes() -> None:
    for name in ("postgres", "redis", "aws", "aws-free"):
        mounts = COMPOSE["services"][name]["volumes"]
        named = [m.split(":")[0] for m in mounts if not m.startswith("/")]
        assert named
        assert all(v in COMPOSE["volumes"] for v in named)


# -- the backend, through the FAKE docker CLI ----------------------------------------------


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "docker-calls.jsonl"
    log.touch()
    monkeypatch.setenv("FAKE_DOCKER_LOG", str(log))
    return log


def recorded(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def backend(tmp_path: Path) -> ComposeBackend:
    settings = Settings.from_env(
        {"SANDBOX_HOME": str(tmp_path / "home"), "SANDBOX_APP_PORT": "18080"}
    )
    return ComposeBackend(settings, docker=str(FAKE_DOCKER))


def container(service: str, status: str, health: str = "", exit_code: int = 0) -> dict[str, Any]:
    state = {"Status": status, "ExitCode": exit_code, "Pid": 4242 if status == "running" else 0,
             "StartedAt": "2026-11-27T10:00:00.123456789Z", "Error": ""}  # fmt: skip
    if health:
        state["Health"] = {"Status": health}
    return {
        "Id": f"id-{service}",
        "State": state,
        "RestartCount": 2,
        "Config": {"Labels": {"com.docker.compose.service": service}},
    }


def test_no_engine_is_a_clear_error_naming_the_embedded_backend(
    tmp_path: Path, calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_DOCKER_ENGINE", "down")
    with pytest.raises(BackendUnavailableError) as caught:
        backend(tmp_path).start()
    message = caught.value.render()
    assert "needs a running Docker engine" in message
    assert "Cannot connect to the Docker daemon" in message
    assert "--backend embedded" in message


def test_missing_docker_command(tmp_path: Path) -> None:
    settings = Settings.from_env({"SANDBOX_HOME": str(tmp_path)})
    with pytest.raises(BackendUnavailableError, match="is not installed"):
        ComposeBackend(settings, docker=str(tmp_path / "no-docker")).status()


def test_up_runs_compose_up_with_wait_on_loopback_ports(tmp_path: Path, calls: Path) -> None:
    result = backend(tmp_path).start(timeout=300)
    assert not result.already_running
    up = next(c for c in recorded(calls) if "up" in c)
    assert up[:2] == ["compose", "-f"]
    assert up[2] == str(COMPOSE_FILE)
    assert up[3] == "-p"
    assert up[4].startswith("sandbox-")
    assert up[5:] == ["up", "--detach", "--build", "--wait", "--wait-timeout", "300"]


def test_compose_gets_ports_and_the_emulator_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANDBOX_AWS_EMULATOR", "free")
    env = backend(tmp_path).environment()
    assert env["COMPOSE_PROFILES"] == "free"
    assert env["SANDBOX_APP_PORT"] == "18080"


def test_up_failure_shows_compose_errors(
    tmp_path: Path, calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_DOCKER_UP_FAIL", "1")
    with pytest.raises(ServiceStartError) as caught:
        backend(tmp_path).start()
    assert "pull access denied" in caught.value.render()


def test_down_keeps_volumes_and_reset_removes_them(tmp_path: Path, calls: Path) -> None:
    stack = backend(tmp_path)
    stack.stop()
    stack.reset()
    downs = [c[5:] for c in recorded(calls) if c[:1] == ["compose"] and "down" in c]
    assert downs == [["down", "--timeout", "30"], ["down", "--volumes", "--timeout", "30"]]


def test_status_maps_container_states(
    tmp_path: Path, calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspect_file = tmp_path / "inspect.json"
    inspect_file.write_text(json.dumps([
        container("postgres", "running", "healthy"),
        container("redis", "running", "starting"),
        container("aws", "running", "unhealthy"),
        container("app", "exited", exit_code=3),
    ]))  # fmt: skip
    monkeypatch.setenv("FAKE_DOCKER_INSPECT", str(inspect_file))
    status = backend(tmp_path).status()
    states = {name: s.state for name, s in status.services.items()}
    assert states == {
        "postgres": State.HEALTHY, "redis": State.STARTING,
        "aws": State.UNHEALTHY, "app": State.FAILED,
    }  # fmt: skip
    assert status.services["postgres"].pid == 4242
    assert status.services["postgres"].restarts == 2
    assert status.services["app"].url == "http://127.0.0.1:18080"
    assert status.to_dict()["backend"] == "compose"


def test_logs_stream_through_compose(tmp_path: Path, calls: Path) -> None:
    lines = list(backend(tmp_path).logs("app"))
    assert lines == ["app-1  | 2026-11-27T10:00:00Z listening on 0.0.0.0:8080"]
    assert recorded(calls)[-1][-4:] == ["logs", "--no-color", "--timestamps", "app"]


@pytest.mark.parametrize(
    ("status", "health", "code", "expected"),
    [
        ("running", "", 0, State.HEALTHY),
        ("restarting", "", 0, State.STARTING),
        ("exited", "", 0, State.STOPPED),
        ("exited", "", 143, State.STOPPED),
        ("exited", "", 1, State.FAILED),
        ("dead", "", 2, State.FAILED),
    ],
)
def test_container_state_mapping(status: str, health: str, code: int, expected: State) -> None:
    mapped = container_status(container("redis", status, health, code), ServiceStatus("redis"))
    assert mapped.state is expected


def test_free_emulator_container_reports_as_aws(tmp_path: Path) -> None:
    settings = Settings.from_env({"SANDBOX_HOME": str(tmp_path)})
    status = stack_status([container("aws-free", "running", "healthy")], settings, "free")
    assert status.services["aws"].state is State.HEALTHY


def test_factory_picks_the_backend(tmp_path: Path) -> None:
    settings = Settings.from_env({"SANDBOX_HOME": str(tmp_path), "SANDBOX_BACKEND": "compose"})
    assert get_backend(settings).name == "compose"
    assert get_backend(settings, "embedded").name == "embedded"
