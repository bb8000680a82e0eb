"""One real embedded stack (PostgreSQL, Valkey, ministack, the faults server, gunicorn) for
the whole package, with the event processor deployed, and helpers that put data in every
service and read it back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import redis

from sandbox.aws.clients import client
from sandbox.aws.deploy import deploy
from sandbox.config import Settings
from sandbox.services import postgres
from sandbox.services import redis as redis_service
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.specs import free_port_variables
from tests.conftest import LAMBDA_DIR

SANDBOX = [sys.executable, "-c", "from sandbox.cli import main; main()"]
TABLE = "snap-notes"
BUCKET = "snap-files"


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    settings: Settings
    backend: EmbeddedBackend

    @property
    def aws(self) -> str:
        return self.backend.endpoint("aws")

    def run(
        self, *args: str, extra: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`sandbox ARGS` as a person types it, in this stack's environment."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
        return subprocess.run([*SANDBOX, *args], env={**base, **self.env, **(extra or {})},
                              capture_output=True, text=True, timeout=300, check=False)  # fmt: skip

    def pids(self) -> dict[str, int | None]:
        return {name: s.pid for name, s in self.backend.status().services.items()}


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("snapshots")
    env = {"SANDBOX_HOME": str(root / "home"), "SANDBOX_WORKSPACE": str(root / "workspace"),
           **free_port_variables()}  # fmt: skip
    settings = Settings.from_env(env)
    backend = EmbeddedBackend(settings)
    backend.start()
    deploy(backend.endpoint("aws"), LAMBDA_DIR)
    yield Stack(env, settings, backend)
    backend.reset()


# -- data in every service --------------------------------------------------------------------


def pg(stack: Stack, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(postgres.url(stack.settings.postgres_port), connect_timeout=5)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall()) if cur.description else []
    finally:
        conn.close()


def kv(stack: Stack) -> redis.Redis:
    return redis.Redis.from_url(redis_service.url(stack.settings.redis_port), decode_responses=True)


def put_everything(stack: Stack, label: str, count: int = 20) -> None:
    """`count` rows, keys, items and objects, each carrying `label`."""
    pg(stack, "CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, label text)")
    pg(stack, "DELETE FROM notes")
    pg(stack, "INSERT INTO notes SELECT g, %s FROM generate_series(1, %s) g", label, count)
    r = kv(stack)
    r.flushall()
    r.mset({f"note:{i}": label for i in range(count)})
    r.close()
    ddb, s3 = client("dynamodb", stack.aws), client("s3", stack.aws)
    if TABLE not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")  # fmt: skip
        s3.create_bucket(Bucket=BUCKET)
    for item in ddb.scan(TableName=TABLE)["Items"]:
        ddb.delete_item(TableName=TABLE, Key={"id": item["id"]})
    for listed_object in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=listed_object["Key"])
    for i in range(count):
        ddb.put_item(TableName=TABLE, Item={"id": {"S": str(i)}, "label": {"S": label}})
        s3.put_object(Bucket=BUCKET, Key=f"note-{i}.txt", Body=label.encode())


def labels(stack: Stack) -> dict[str, set[str]]:
    """The labels each service holds now (a set per service)."""
    r = kv(stack)
    keys = {r.get(k) or "" for k in r.keys("note:*")}
    r.close()
    ddb, s3 = client("dynamodb", stack.aws), client("s3", stack.aws)
    items = ddb.scan(TableName=TABLE)["Items"] if TABLE in ddb.list_tables()["TableNames"] else []
    listed = s3.list_objects_v2(Bucket=BUCKET).get("Contents", []) if _bucket(s3) else []
    bodies = {s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read().decode() for o in listed}
    return {
        "rows": {str(row[0]) for row in pg(stack, "SELECT DISTINCT label FROM notes")},
        "keys": keys,
        "items": {item["label"]["S"] for item in items},
        "objects": bodies,
    }


def counts(stack: Stack) -> dict[str, int]:
    r = kv(stack)
    keys = len(r.keys("note:*"))
    r.close()
    ddb, s3 = client("dynamodb", stack.aws), client("s3", stack.aws)
    return {
        "rows": int(pg(stack, "SELECT count(*) FROM notes")[0][0]),
        "keys": keys,
        "items": int(ddb.scan(TableName=TABLE, Select="COUNT")["Count"]),
        "objects": int(s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0)),
    }


def _bucket(s3: Any) -> bool:
    return BUCKET in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def listed(stack: Stack) -> dict[str, dict[str, Any]]:
    answer = stack.run("snapshot", "list", "--json")
    assert answer.returncode == 0, answer.stderr
    return {row["name"]: row for row in json.loads(answer.stdout)["snapshots"]}


def snapshot_dir(stack: Stack) -> Path:
    return stack.settings.snapshots
