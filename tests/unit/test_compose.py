"""The compose backend, without a Docker engine: compose.yaml's structure and pins, CI's
offline override, the commands the backend runs (through a FAKE docker CLI), and status
mapping. tests/compose/ runs the same backend on a real engine."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.config import Settings
from sandbox.errors import (
    BackendUnavailableError,
    ConfigError,
    ServiceStartError,
    StackNotRunningError,
)
from sandbox.stack import get_backend
from sandbox.stack.compose import (
    COMPOSE_FILE,
    RUNTIME_FILE,
    ComposeBackend,
    container_status,
    stack_status,
)
from sandbox.stack.model import ServiceStatus, State

REPO = COMPOSE_FILE.parent
FAKE_DOCKER = Path(__file__).resolve().parents[1] / "fakes" / "fake_docker.py"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
OFFLINE_FILE = REPO / ".ci" / "docker" / "compose.offline.yaml"
OFFLINE = yaml.safe_load(OFFLINE_FILE.read_text())


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


# -- CI's offline override (.ci/docker/compose.offline.yaml) ------------------------------


def test_the_override_forbids_every_pull() -> None:
    assert set(OFFLINE["services"]) == set(COMPOSE["services"])
    for name, service in OFFLINE["services"].items():
        assert service["pull_policy"] == "never", name


def test_the_override_swaps_in_local_stand_ins_only() -> None:
    for name, service in OFFLINE["services"].items():
        if "image" in service:
            assert service["image"].startswith("cloud-sandbox-standin/"), name
    assert "image" not in OFFLINE["services"]["aws"]  # LocalStack: no stand-in can be built


def test_the_ministack_stand_in_has_the_pinned_version() -> None:
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    version = next(p.split("==")[1] for p in pins if p.startswith("ministack=="))
    tag = OFFLINE["services"]["aws-free"]["image"].rpartition(":")[2]
    assert tag == version == COMPOSE["services"]["aws-free"]["image"].rpartition(":")[2]


def test_the_override_changes_only_how_often_health_is_probed() -> None:
    """What a healthy service is stays compose.yaml's; CI only probes it sooner."""
    for name, service in OFFLINE["services"].items():
        assert set(service.get("healthcheck", {})) <= {"interval", "retries"}, name


def test_the_app_stand_in_builds_from_the_local_python_without_network() -> None:
    build = OFFLINE["services"]["app"]["build"]
    assert build["args"]["PYTHON_IMAGE"].startswith("cloud-sandbox-standin/python:")
    assert build["network"] == "none"


# -- settings -------------------------------------------------------------------------------


def test_extra_compose_files_are_read_like_compose_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.touch()
    second.touch()
    settings = Settings.from_env({"SANDBOX_COMPOSE_FILES": f"{first}:{second}"})
    assert settings.compose_files == (first, second)


def test_a_missing_compose_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"SANDBOX_COMPOSE_FILES": str(tmp_path / "nope.yaml")})
    assert "nope.yaml: no such file" in caught.value.render()
    assert "unset SANDBOX_COMPOSE_FILES" in caught.value.render()


def test_an_unknown_emulator_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="is not an emulator"):
        Settings.from_env({"SANDBOX_AWS_EMULATOR": "moto"})


# -- the backend, through the FAKE docker CLI ----------------------------------------------


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "docker-calls.jsonl"
    log.touch()
    monkeypatch.setenv("FAKE_DOCKER_LOG", str(log))
    return log


def recorded(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def backend(tmp_path: Path, **env: str) -> ComposeBackend:
    settings = Settings.from_env(
        {"SANDBOX_HOME": str(tmp_path / "home"), "SANDBOX_APP_PORT": "18080", **env}
    )
    return ComposeBackend(settings, docker=str(FAKE_DOCKER))


def after_project(call: list[str]) -> list[str]:
    """A compose call's arguments after `-p PROJECT` (the files come before)."""
    return call[call.index("-p") + 2 :]


def container(
    service: str, status: str, health: str = "", exit_code: int = 0, published: int = 0
) -> dict[str, Any]:
    state = {
        "Status": status,
        "ExitCode": exit_code,
        "Pid": 4242 if status == "running" else 0,
        "StartedAt": "2026-11-27T10:00:00.123456789Z",
        "Error": "",
    }
    if health:
        state["Health"] = {"Status": health}
    ports = {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(published)}]}
    return {
        "Id": f"id-{service}",
        "State": state,
        "RestartCount": 2,
        "Config": {"Labels": {"com.docker.compose.service": service}},
        "NetworkSettings": {"Ports": ports if published else {}},
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
    assert up[:3] == ["compose", "-f", str(COMPOSE_FILE)]
    assert up[up.index("-p") + 1].startswith("sandbox-")
    assert after_project(up) == ["up", "--detach", "--build", "--wait", "--wait-timeout", "300"]


def test_compose_files_are_compose_yaml_then_the_extra_ones_then_the_runtime_file(
    tmp_path: Path, calls: Path
) -> None:
    extra = tmp_path / "offline.yaml"
    extra.write_text("services: {}\n")
    stack = backend(tmp_path, SANDBOX_COMPOSE_FILES=str(extra))
    stack.start()
    up = next(c for c in recorded(calls) if "up" in c)
    files = [up[i + 1] for i, arg in enumerate(up) if arg == "-f"]
    assert files == [str(COMPOSE_FILE), str(extra), str(stack.settings.home / RUNTIME_FILE)]


def test_the_app_container_runs_the_code_the_embedded_backend_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "workspace"
    (workspace / "app").mkdir(parents=True)
    (workspace / "app" / "gunicorn.conf.py").touch()
    # read at each start, as the embedded backend does: a lab started since points elsewhere
    monkeypatch.setenv("SANDBOX_APP_DIR", str(workspace))
    app = backend(tmp_path).runtime_overrides()["services"]["app"]
    mount = app["volumes"][0]
    assert (mount["source"], mount["target"], mount["read_only"]) == (
        str(workspace / "app"),
        "/srv/app",
        True,
    )
    assert app["environment"]["ENVIRONMENT"] == "sandbox"
    assert "/health'" in app["healthcheck"]["test"][-1]  # a starter has no /ready yet


def test_an_app_folder_without_the_app_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANDBOX_APP_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match=r"no app/gunicorn\.conf\.py under"):
        backend(tmp_path).runtime_overrides()


def test_compose_gets_ports_and_the_emulator_profile(tmp_path: Path) -> None:
    env = backend(tmp_path, SANDBOX_AWS_EMULATOR="free").environment()
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
    downs = [after_project(c) for c in recorded(calls) if c[:1] == ["compose"] and "down" in c]
    assert downs == [
        ["down", "--remove-orphans", "--timeout", "30"],
        ["down", "--remove-orphans", "--volumes", "--timeout", "30"],
    ]
    assert not stack.settings.home.exists()


def test_no_compose_plugin_is_a_clear_error(
    tmp_path: Path, calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_DOCKER_NO_COMPOSE", "1")
    with pytest.raises(BackendUnavailableError) as caught:
        backend(tmp_path).stop()
    assert "`docker compose` is not installed" in caught.value.render()
    assert "--backend embedded" in caught.value.render()


def test_one_service_cannot_be_stopped_when_the_stack_is_down(tmp_path: Path, calls: Path) -> None:
    with pytest.raises(StackNotRunningError):
        backend(tmp_path).stop_service("redis")


def inspected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *containers: Any) -> None:
    inspect_file = tmp_path / "inspect.json"
    inspect_file.write_text(json.dumps(list(containers)))
    monkeypatch.setenv("FAKE_DOCKER_INSPECT", str(inspect_file))


def test_status_maps_container_states(
    tmp_path: Path, calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspected(
        tmp_path,
        monkeypatch,
        container("postgres", "running", "healthy"),
        container("redis", "running", "starting"),
        container("aws", "running", "unhealthy"),
        container("app", "exited", exit_code=3),
    )
    status = backend(tmp_path).status()
    states = {name: s.state for name, s in status.services.items()}
    assert states == {
        "postgres": State.HEALTHY,
        "redis": State.STARTING,
        "aws": State.UNHEALTHY,
        "app": State.FAILED,
    }
    assert status.services["postgres"].pid == 4242
    assert status.services["postgres"].restarts == 2
    assert status.services["app"].url == "http://127.0.0.1:18080"
    assert "exited with code 3" in status.services["app"].error
    assert status.to_dict()["backend"] == "compose"


def test_status_lists_only_this_projects_containers(tmp_path: Path, calls: Path) -> None:
    stack = backend(tmp_path)
    stack.status()
    ps = next(c for c in recorded(calls) if c[:1] == ["ps"])
    assert ps[-1] == f"label=com.docker.compose.project={stack.project}"


def test_a_running_service_reports_the_port_it_is_published_on(
    tmp_path: Path, calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspected(tmp_path, monkeypatch, container("app", "running", "healthy", published=28080))
    stack = backend(tmp_path)
    assert stack.status().services["app"].port == 28080
    assert stack.endpoint("app") == "http://127.0.0.1:28080"


def test_one_services_log_is_as_it_wrote_it(tmp_path: Path, calls: Path) -> None:
    lines = list(backend(tmp_path).logs("app"))
    assert lines == ["2026-11-27T10:00:00Z listening on 0.0.0.0:8080"]
    assert after_project(recorded(calls)[-1]) == ["logs", "--no-color", "--no-log-prefix", "app"]


def test_all_logs_are_prefixed_by_service_as_in_the_embedded_backend(
    tmp_path: Path, calls: Path
) -> None:
    lines = list(backend(tmp_path).logs())
    assert lines == ["app       | 2026-11-27T10:00:00Z listening on 0.0.0.0:8080"]


def test_the_free_emulators_logs_are_asked_of_its_compose_service(
    tmp_path: Path, calls: Path
) -> None:
    list(backend(tmp_path, SANDBOX_AWS_EMULATOR="free").logs("aws"))
    assert recorded(calls)[-1][-1] == "aws-free"


def test_there_is_no_supervisor_log(tmp_path: Path, calls: Path) -> None:
    with pytest.raises(ConfigError, match="no supervisor log"):
        list(backend(tmp_path).logs("supervisor"))


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


def test_the_other_emulators_container_is_not_aws(tmp_path: Path) -> None:
    settings = Settings.from_env({"SANDBOX_HOME": str(tmp_path)})
    status = stack_status([container("aws", "running", "healthy")], settings, "free")
    assert status.services["aws"].state is State.STOPPED


def test_factory_picks_the_backend(tmp_path: Path) -> None:
    settings = Settings.from_env({"SANDBOX_HOME": str(tmp_path), "SANDBOX_BACKEND": "compose"})
    assert get_backend(settings).name == "compose"
    assert get_backend(settings, "embedded").name == "embedded"


def test_a_failed_start_names_the_service_and_shows_its_log(
    tmp_path: Path, calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_DOCKER_UP_FAIL", "1")
    inspected(
        tmp_path,
        monkeypatch,
        container("postgres", "running", "healthy"),
        container("app", "exited", exit_code=3),
    )
    with pytest.raises(ServiceStartError) as caught:
        backend(tmp_path).start()
    assert caught.value.service == "app"
    assert "listening on 0.0.0.0:8080" in caught.value.log_tail
    assert "sandbox logs app" in caught.value.render()
