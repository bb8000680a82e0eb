"""The embedded PostgreSQL and Redis launchers: persistence, loopback only, clear failures."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg2
import pytest
import redis

from sandbox.errors import BinaryNotFoundError, DataDirError, PortInUseError, ServiceStartError
from sandbox.services import postgres
from sandbox.services import redis as redis_service
from sandbox.services.process import ServerProcess
from tests.helpers import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_config(tmp_path: Path) -> Iterator[postgres.PostgresConfig]:
    config = postgres.PostgresConfig(home=tmp_path / "home", port=free_port())
    yield config
    postgres.wipe(config)


def listening_addresses(server: ServerProcess) -> set[str]:
    addresses = set()
    for proc in [psutil.Process(server.pid), *psutil.Process(server.pid).children(True)]:
        try:
            connections = proc.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue  # a short-lived backend that exited meanwhile listens on nothing
        addresses |= {c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN}
    return addresses


def sql(url: str, statement: str) -> list[tuple[object, ...]]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def test_postgres_data_survives_stop_and_start(pg_config: postgres.PostgresConfig) -> None:
    server = postgres.start(pg_config)
    sql(server.url, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('kept')")
    version_file = postgres.data_location(pg_config) / "data" / "PG_VERSION"
    created = version_file.stat().st_mtime_ns
    assert server.stop() == 0

    again = postgres.start(pg_config)
    try:
        assert sql(again.url, "SELECT body FROM notes") == [("kept",)]
        assert version_file.stat().st_mtime_ns == created  # no second initdb
    finally:
        again.stop()


def test_postgres_listens_on_loopback_only_and_not_as_root(
    pg_config: postgres.PostgresConfig,
) -> None:
    server = postgres.start(pg_config)
    try:
        assert listening_addresses(server) == {"127.0.0.1"}
        if os.geteuid() == 0:
            assert psutil.Process(server.pid).username() == "nobody"
    finally:
        server.stop()
    assert not server.alive()


@pytest.mark.skipif(os.geteuid() != 0, reason="the private data folder is for root only")
def test_root_keeps_data_private_without_loosening_parents(
    pg_config: postgres.PostgresConfig,
) -> None:
    pg_config.home.mkdir(parents=True)
    os.chmod(pg_config.home, 0o700)  # nobody cannot enter the state dir
    server = postgres.start(pg_config)
    server.stop()
    location = postgres.data_location(pg_config)
    assert pg_config.home not in location.parents
    assert stat.S_IMODE(location.stat().st_mode) == 0o700
    assert location.owner() == "nobody"
    assert stat.S_IMODE(pg_config.home.stat().st_mode) == 0o700  # untouched
    postgres.wipe(pg_config)
    assert not location.exists()


def test_postgres_port_in_use_names_the_owner(pg_config: postgres.PostgresConfig) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", pg_config.port))
        squatter.listen()
        with pytest.raises(PortInUseError) as caught:
            postgres.start(pg_config)
    message = caught.value.render()
    assert f"port {pg_config.port}" in message
    assert f"pid {os.getpid()}" in message
    assert "SANDBOX_POSTGRES_PORT" in message


def test_postgres_missing_binaries(tmp_path: Path) -> None:
    config = postgres.PostgresConfig(home=tmp_path, port=free_port(), bin_dir=tmp_path / "nope")
    with pytest.raises(BinaryNotFoundError, match="no postgres, initdb and pg_isready"):
        postgres.start(config)


def test_postgres_configured_bin_dir_is_used(pg_config: postgres.PostgresConfig) -> None:
    wheel_bin = postgres.find_bin_dir(None)
    config = postgres.PostgresConfig(home=pg_config.home, port=pg_config.port, bin_dir=wheel_bin)
    server = postgres.start(config)
    try:
        assert psutil.Process(server.pid).exe() == str(wheel_bin / "postgres")
    finally:
        server.stop()


def test_postgres_unusable_data_dir(tmp_path: Path) -> None:
    home = tmp_path / "a-file"
    home.write_text("not a directory")
    with pytest.raises(DataDirError, match="cannot create or write"):
        postgres.start(postgres.PostgresConfig(home=home, port=free_port()))


def test_postgres_start_failure_shows_log_lines(pg_config: postgres.PostgresConfig) -> None:
    postgres.start(pg_config).stop()
    conf = postgres.data_location(pg_config) / "data" / "postgresql.conf"
    conf.write_text(conf.read_text() + "\nthis is = not valid\n")
    with pytest.raises(ServiceStartError) as caught:
        postgres.start(pg_config)
    assert "exited during start" in caught.value.message
    assert "syntax error" in caught.value.log_tail


def test_redis_data_survives_stop_and_start(tmp_path: Path) -> None:
    config = redis_service.RedisConfig(home=tmp_path, port=free_port())
    server = redis_service.start(config)
    client = redis.Redis.from_url(server.url)
    client.set("greeting", "hello")
    client.close()
    assert server.stop() == 0

    again = redis_service.start(config)
    client = redis.Redis.from_url(again.url)
    try:
        assert client.get("greeting") == b"hello"
        assert listening_addresses(again) == {"127.0.0.1"}
    finally:
        client.close()
        again.stop()


def test_redis_port_in_use(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(PortInUseError, match=f"port {port}"):
            redis_service.start(redis_service.RedisConfig(home=tmp_path, port=port))


def test_a_port_held_only_by_a_closing_connection_says_so_and_when_it_frees(
    tmp_path: Path,
) -> None:
    """The default ports can be an outgoing connection's local port: once it closed, the
    port stays taken (TIME_WAIT) for up to a minute with no process to stop."""
    port = free_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        client = socket.socket()
        client.bind(("127.0.0.1", port))  # as the system picks a connection's local port
        client.connect(server.getsockname())
        accepted, _ = server.accept()
        client.close()  # the side that closes first keeps the port in TIME_WAIT
        accepted.close()
    with pytest.raises(PortInUseError) as caught:
        redis_service.start(redis_service.RedisConfig(home=tmp_path, port=port))
    message = caught.value.render()
    assert f"port {port} on 127.0.0.1 is held by a connection that is closing" in message
    assert "run it again in a minute" in message
    assert "SANDBOX_REDIS_PORT=<port>" in message


def test_redis_missing_binary(tmp_path: Path) -> None:
    config = redis_service.RedisConfig(home=tmp_path, port=free_port(), binary=tmp_path / "nope")
    with pytest.raises(BinaryNotFoundError, match="does not exist"):
        redis_service.start(config)


def test_redis_crash_at_start_shows_log_lines(tmp_path: Path) -> None:
    fake = tmp_path / "broken-server"
    fake.write_text("#!/bin/sh\necho 'FATAL: cannot start, simulated' >&2\nexit 3\n")
    fake.chmod(0o755)
    config = redis_service.RedisConfig(home=tmp_path, port=free_port(), binary=fake)
    with pytest.raises(ServiceStartError) as caught:
        redis_service.start(config)
    assert "code 3" in caught.value.message
    assert "simulated" in caught.value.render()


def test_redis_unusable_data_dir(tmp_path: Path) -> None:
    home = tmp_path / "a-file"
    home.write_text("not a directory")
    with pytest.raises(DataDirError):
        redis_service.start(redis_service.RedisConfig(home=home, port=free_port()))
