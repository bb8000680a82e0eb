"""`--backend external` against an emulator, PostgreSQL, Redis and an app the sandbox did not
start: status, up, deploy, fire, the browsers, grading, and what it refuses to do."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.external.conftest import SANDBOX, external_env, run
from tests.helpers import free_port

pytestmark = pytest.mark.slow
SERVICES = {
    "aws": "SANDBOX_AWS_ENDPOINT",
    "postgres": "SANDBOX_POSTGRES_URL",
    "redis": "SANDBOX_REDIS_URL",
    "app": "SANDBOX_APP_URL",
}


def test_status_shows_every_configured_service_healthy_and_exits_0(
    env: dict[str, str], outside: dict[str, str]
) -> None:
    result = run(env, "status", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    status = json.loads(result.stdout)
    assert (status["backend"], status["all_healthy"], status["not_configured"]) == (
        "external",
        True,
        [],
    )
    services = status["services"]
    assert {name: s["url"] for name, s in services.items()} == {
        name: outside[variable] for name, variable in SERVICES.items()
    }
    assert {s["state"] for s in services.values()} == {"healthy"}


def test_up_starts_nothing_and_the_next_commands_keep_the_external_backend(
    env: dict[str, str],
) -> None:
    up = run(env, "up")
    assert up.returncode == 0, up.stderr
    assert "backend: external" in up.stdout
    without_flag = [*SANDBOX, "status"]
    plain = subprocess.run(without_flag, env=env, capture_output=True, text=True, timeout=60)
    assert plain.returncode == 0, plain.stderr
    assert "backend: external" in plain.stdout


def test_a_service_nobody_configured_is_shown_and_does_not_fail_the_status(
    tmp_path: Path, outside: dict[str, str]
) -> None:
    only_aws = external_env(tmp_path, SANDBOX_AWS_ENDPOINT=outside["SANDBOX_AWS_ENDPOINT"])
    result = run(only_aws, "status")
    assert result.returncode == 0, result.stdout
    assert "postgres: not configured (set SANDBOX_POSTGRES_URL)" in result.stdout
    assert "app: not configured (set SANDBOX_APP_URL)" in result.stdout


def test_an_unreachable_service_is_named_with_its_variable(
    tmp_path: Path, outside: dict[str, str]
) -> None:
    silent = f"redis://127.0.0.1:{free_port()}/0"
    env = external_env(tmp_path, **{**outside, "SANDBOX_REDIS_URL": silent})
    status = run(env, "status", "--json")
    assert status.returncode == 3
    redis = json.loads(status.stdout)["services"]["redis"]
    assert redis["state"] == "unhealthy"
    assert "does not answer PING" in redis["error"]
    assert "check SANDBOX_REDIS_URL" in redis["error"]
    up = run(env, "up")
    assert up.returncode == 1
    assert "some external services do not answer:\n  redis: redis://127.0.0.1:" in up.stderr


def test_an_unreachable_emulator_stops_deploy_before_any_change(tmp_path: Path) -> None:
    env = external_env(tmp_path, SANDBOX_AWS_ENDPOINT=f"http://127.0.0.1:{free_port()}")
    result = run(env, "deploy")
    assert result.returncode == 1
    assert "the AWS emulator is not running (it is unhealthy)" in result.stderr


def test_a_bad_url_is_a_clear_error_that_hides_the_password(tmp_path: Path) -> None:
    env = external_env(tmp_path, SANDBOX_POSTGRES_URL="mysql://learner:s3cret@db:3306/app")
    result = run(env, "status")
    assert result.returncode == 1
    assert "SANDBOX_POSTGRES_URL='mysql://learner:***@db:3306/app' is not a usable URL" in (
        result.stderr
    )
    assert "s3cret" not in result.stderr


@pytest.fixture(scope="module")
def deployer(tmp_path_factory: pytest.TempPathFactory, outside: dict[str, str]) -> dict[str, str]:
    return external_env(tmp_path_factory.mktemp("deployer"), **outside)


@pytest.fixture(scope="module")
def deployed(deployer: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(deployer, "deploy", "--json")


def test_deploy_to_an_emulator_asks_nothing(
    deployed: subprocess.CompletedProcess[str], outside: dict[str, str]
) -> None:
    assert deployed.returncode == 0, deployed.stderr
    result = json.loads(deployed.stdout)
    assert {"lambda-function", "rest-api", "sqs-trigger"} <= {
        r["kind"] for r in result["resources"]
    }
    assert result["stage_url"].startswith(outside["SANDBOX_AWS_ENDPOINT"] + "/restapis/")
    assert "real AWS" not in deployed.stderr


@pytest.mark.parametrize("source", ["s3", "sqs", "eventbridge"])
def test_fire_goes_through_the_outside_emulator_and_the_item_is_browsable(
    deployer: dict[str, str], deployed: subprocess.CompletedProcess[str], source: str
) -> None:
    fired = run(deployer, "fire", source, "--json")
    assert fired.returncode == 0, fired.stderr
    item = json.loads(fired.stdout)["item"]
    assert item["processed"] is True
    scanned = run(deployer, "ddb", "scan", "--json")
    assert item["event_id"] in {row["event_id"] for row in json.loads(scanned.stdout)}


def test_the_browsers_read_the_outside_emulator(
    deployer: dict[str, str], deployed: subprocess.CompletedProcess[str]
) -> None:
    buckets = json.loads(run(deployer, "s3", "ls", "--json").stdout)
    assert "sandbox-uploads" in {row["bucket"] for row in buckets}
    queues = json.loads(run(deployer, "sqs", "depth", "--json").stdout)
    assert {"sandbox-jobs", "sandbox-jobs-dlq"} <= {row["queue"] for row in queues}


@pytest.mark.parametrize("command", [["stop", "postgres"], ["start", "redis"], ["restart", "app"]])
def test_controlling_a_service_is_refused_clearly(env: dict[str, str], command: list[str]) -> None:
    result = run(env, *command)
    assert result.returncode == 1
    assert "the external backend does not control processes: it did not start" in result.stderr
    assert "use the embedded backend" in result.stderr


@pytest.mark.parametrize("service", [[], ["app"]])
def test_logs_are_not_available_for_external_services(
    env: dict[str, str], service: list[str]
) -> None:
    result = run(env, "logs", *service)
    assert result.returncode == 1
    assert "logs are not available for external services" in result.stderr


def test_down_says_it_leaves_the_outside_services_running(env: dict[str, str]) -> None:
    down = run(env, "down")
    assert (down.returncode, down.stdout) == (
        0,
        "Nothing stopped: the external backend does not start or stop its services.\n",
    )
    assert run(env, "status").returncode == 0


def test_checks_needing_process_control_or_logs_are_unknown_with_the_reason(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "SANDBOX_WORKSPACE": str(tmp_path / "workspace")}
    started = run(env, "lab", "start", "01-twelve-factor")
    assert started.returncode == 0, started.stderr
    probes = checks_of(run(env, "lab", "check", "01-twelve-factor", "probes", "--format", "json"))
    assert (probes["health"]["status"], probes["ready"]["status"]) == ("passed", "passed")
    assert probes["ready-without-redis"] == {
        "status": "unknown",
        "message": "the external backend cannot stop services; run this check on the embedded "
        "backend",
    }
    observability = ["lab", "check", "01-twelve-factor", "observability", "--format", "json"]
    logs = checks_of(run(env, *observability))
    assert logs["json-logs"]["status"] == "unknown"
    assert "cannot read the services' logs" in logs["json-logs"]["message"]


def checks_of(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, str]]:
    assert result.returncode == 2, result.stdout + result.stderr  # some could not be graded
    checks = json.loads(result.stdout)["checks"]
    return {c["id"]: {"status": c["status"], "message": c["message"]} for c in checks}
