"""Contract scenarios on the embedded backend, for real: four servers under the supervisor."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import psutil
import pytest
import requests

from sandbox.config import Settings
from sandbox.errors import PortInUseError, SandboxError, StateError
from sandbox.services.aws import REGION
from sandbox.stack import statefile
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.model import StackStatus, State
from tests.conftest import stack_settings
from tests.helpers import wait_for

pytestmark = pytest.mark.slow


def make_settings(home: Path, **extra: str) -> Settings:
    return stack_settings(home, **extra)


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    stack = EmbeddedBackend(make_settings(tmp_path / "home"))
    yield stack
    stack.reset()


def aws_client(backend: EmbeddedBackend, service: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        service, endpoint_url=backend.endpoint("aws"), region_name=REGION,
        aws_access_key_id="sandbox", aws_secret_access_key="sandbox",
    )  # fmt: skip


def all_pids(status: StackStatus) -> list[int]:
    pids = [s.pid for s in status.services.values() if s.pid]
    return [*pids, status.supervisor_pid] if status.supervisor_pid else pids


def running(pid: int) -> bool:
    """Alive and not a zombie (an exited detached process waits for init to reap it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def port_bound(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_up_kill_recover_down(backend: EmbeddedBackend) -> None:
    result = backend.start()
    assert result.status.all_healthy
    assert not result.already_running

    app_url = backend.endpoint("app")
    assert requests.get(f"{app_url}/ready", timeout=5).json()["status"] == "ready"
    s3 = aws_client(backend, "s3")
    s3.create_bucket(Bucket="contract-bucket")
    s3.put_object(Bucket="contract-bucket", Key="hello.txt", Body=b"hi")
    assert s3.get_object(Bucket="contract-bucket", Key="hello.txt")["Body"].read() == b"hi"
    ddb = aws_client(backend, "dynamodb")
    ddb.create_table(
        TableName="contract", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )  # fmt: skip
    ddb.put_item(TableName="contract", Item={"id": {"S": "1"}})
    assert ddb.get_item(TableName="contract", Key={"id": {"S": "1"}})["Item"]["id"]["S"] == "1"

    victim = backend.status().services["postgres"].pid
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    assert wait_for(lambda: backend.status().services["postgres"].last_exit is not None, 2.0)
    assert time.monotonic() - killed_at <= 2.0
    noticed = backend.status().services["postgres"]
    assert noticed.last_exit is not None
    assert noticed.last_exit.code == -signal.SIGKILL

    assert wait_for(lambda: backend.status().services["postgres"].state is State.HEALTHY, 20)
    back = backend.status().services["postgres"]
    assert (back.restarts, back.pid != victim) == (1, True)
    assert wait_for(
        lambda: requests.get(f"{app_url}/ready", timeout=5).status_code == 200, timeout=10
    )

    before = backend.status()
    backend.stop()
    after = backend.status()
    assert {s.state for s in after.services.values()} == {State.STOPPED}
    assert not any(running(pid) for pid in all_pids(before))
    assert not any(port_bound(s.port) for s in after.services.values())


def test_data_survives_down_and_up(backend: EmbeddedBackend) -> None:
    backend.start()
    app_url = backend.endpoint("app")
    created = requests.post(f"{app_url}/api/users", json={"email": "kept@example.org"}, timeout=5)
    assert created.status_code == 201
    ddb = aws_client(backend, "dynamodb")
    ddb.create_table(
        TableName="kept", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )  # fmt: skip
    ddb.put_item(TableName="kept", Item={"id": {"S": "a"}, "note": {"S": "still here"}})

    backend.stop()
    assert backend.start().status.all_healthy

    users = requests.get(f"{app_url}/api/users", timeout=5).json()["items"]
    assert [u["email"] for u in users] == ["kept@example.org"]
    item = aws_client(backend, "dynamodb").get_item(TableName="kept", Key={"id": {"S": "a"}})
    assert item["Item"]["note"]["S"] == "still here"


def test_second_up_is_a_no_op(backend: EmbeddedBackend) -> None:
    first = backend.start()
    second = backend.start()
    assert second.already_running
    assert second.status.supervisor_pid == first.status.supervisor_pid


def test_port_in_use_is_named_and_nothing_starts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    stack = EmbeddedBackend(settings)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", settings.app_port))
        squatter.listen()
        with pytest.raises(PortInUseError) as caught:
            stack.start()
    assert f"port {settings.app_port}" in caught.value.render()
    assert "SANDBOX_APP_PORT" in caught.value.render()
    assert stack.status().supervisor_pid is None


def test_a_service_that_never_becomes_healthy_is_reported_with_its_log(tmp_path: Path) -> None:
    broken_app = tmp_path / "learner"
    (broken_app / "app").mkdir(parents=True)
    (broken_app / "app" / "__init__.py").write_text("raise RuntimeError('learner typo')\n")
    (broken_app / "app" / "gunicorn.conf.py").write_text("workers = 1\n")
    settings = make_settings(tmp_path / "home", SANDBOX_APP_DIR=str(broken_app))
    stack = EmbeddedBackend(settings)
    try:
        with pytest.raises(SandboxError) as caught:
            stack.start()
        message = caught.value.render()
        assert "app: exited during start" in message
        assert "learner typo" in message
        status = stack.status()
        assert status.supervisor_pid is None
        assert all(not running(pid) for pid in all_pids(status))
    finally:
        stack.reset()


def test_missing_postgres_binary(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", SANDBOX_POSTGRES_BIN_DIR=str(tmp_path / "no"))
    stack = EmbeddedBackend(settings)
    try:
        with pytest.raises(SandboxError) as caught:
            stack.start()
        assert "postgres: no postgres, initdb and pg_isready programs" in caught.value.render()
        assert "SANDBOX_POSTGRES_BIN_DIR" in caught.value.render()
    finally:
        stack.reset()


def test_corrupt_state_file(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    settings.home.mkdir(parents=True)
    statefile.path(settings.home).write_text("{ not json")
    with pytest.raises(StateError) as caught:
        EmbeddedBackend(settings).status()
    assert "corrupt" in caught.value.render()
    assert "sandbox reset --yes" in caught.value.render()


def test_logs_since_and_follow(backend: EmbeddedBackend) -> None:
    backend.start()
    recent = list(backend.logs("app", since=None))
    assert any('"message": "started' in line for line in recent)
    deadline = time.monotonic() + 10
    follower = backend.logs("app", follow=True, stop=lambda: time.monotonic() > deadline)
    requests.get(backend.endpoint("app") + "/health", headers={"X-Request-ID": "follow-me"})
    assert any("follow-me" in line for line in follower)
