"""Snapshot save and load times with a realistic amount of data.

Starts a fresh embedded stack in a temporary SANDBOX_HOME on free ports, deploys the event
processor (a function with its triggers), then puts 10,000 rows in PostgreSQL, 10,000 keys
in Redis, 1,000 items in DynamoDB and 100 objects (4 KB each) in S3. Then it saves a
snapshot and loads it back, `--runs` times each, timing the core calls the CLI makes
(`engine.save`, `engine.load`; the CLI's own start, ~1 s of imports, is not counted). A
load includes its automatic before-load snapshot, as a learner's does. Prints one JSON
object with the median and every run, the archive's size compressed and unpacked (and per
part), and bench/machine.py's context. A benchmark, not a test: it never asserts; it exits
1 with a one-line message when the stack cannot start.

    .venv/bin/python bench/snapshot.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import machine  # bench/machine.py: the script's own folder is on sys.path
import psycopg2
import redis

from sandbox.aws.clients import client
from sandbox.aws.deploy import deploy
from sandbox.config import Settings
from sandbox.errors import SandboxError
from sandbox.services import postgres
from sandbox.services import redis as redis_service
from sandbox.snapshots import archive, engine, store
from sandbox.stack.embedded import EmbeddedBackend
from sandbox.stack.specs import free_port_variables

GOAL = {"save_s_max": 2.0, "load_s_max": 3.0}
SIZES = {"rows": 10_000, "keys": 10_000, "items": 1_000, "objects": 100}
REPO = Path(__file__).resolve().parent.parent


def seed(settings: Settings, endpoint: str) -> None:
    conn = psycopg2.connect(postgres.url(settings.postgres_port))
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE bench (id int PRIMARY KEY, name text, email text)")
        cur.execute("INSERT INTO bench SELECT g, 'user ' || g, 'u' || g || '@example.com' "
                    "FROM generate_series(1, %s) g", (SIZES["rows"],))  # fmt: skip
    conn.close()
    r = redis.Redis.from_url(redis_service.url(settings.redis_port))
    pipe = r.pipeline(transaction=False)
    for i in range(SIZES["keys"]):
        pipe.set(f"key:{i}", f"value {i} " * 4)
    pipe.execute()
    r.close()
    ddb, s3 = client("dynamodb", endpoint), client("s3", endpoint)
    ddb.create_table(TableName="bench", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")  # fmt: skip
    for start in range(0, SIZES["items"], 25):
        batch = [{"PutRequest": {"Item": {"id": {"S": str(i)}, "n": {"N": str(i)}}}}
                 for i in range(start, start + 25)]  # fmt: skip
        ddb.batch_write_item(RequestItems={"bench": batch})
    s3.create_bucket(Bucket="bench")
    for i in range(SIZES["objects"]):
        s3.put_object(Bucket="bench", Key=f"object-{i}.txt", Body=b"x" * 4096)


def parts(path: Path) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for member in archive.read_manifest(path).members:
        sizes[member.path.split("/")[0]] += member.size
    return dict(sizes)


def measure(settings: Settings, backend: EmbeddedBackend, runs: int) -> dict[str, Any]:
    saves, loads, phases = [], [], []
    for run in range(runs):
        began = time.perf_counter()
        engine.save(settings, backend, "bench", force=True)
        saves.append(time.perf_counter() - began)
        source = store.Store(settings).find("bench")
        began, marks = time.perf_counter(), []

        def mark(message: str, began: float = began, marks: list[Any] = marks) -> None:
            marks.append([round(time.perf_counter() - began, 2), message])

        engine.load(settings, backend, source, progress=mark)
        loads.append(time.perf_counter() - began)
        phases.append([*marks, [round(loads[-1], 2), "loaded"]])
        print(f"run {run + 1}: save {saves[-1]:.2f} s, load {loads[-1]:.2f} s", file=sys.stderr)
    path = store.Store(settings).find("bench")
    manifest = archive.read_manifest(path)
    save_s, load_s = statistics.median(saves), statistics.median(loads)
    return {
        "save_s": round(save_s, 3), "load_s": round(load_s, 3),
        "save_runs_s": [round(s, 3) for s in saves], "load_runs_s": [round(s, 3) for s in loads],
        "archive_bytes": path.stat().st_size, "unpacked_bytes": manifest.size,
        "unpacked_bytes_by_part": parts(path), "files": len(manifest.members),
        "compression": manifest.compression, "versions": manifest.versions,
        "load_phases_last_run": phases[-1],  # seconds since the load began, at each step
        "goal": GOAL,
        "goal_met": save_s <= GOAL["save_s_max"] and load_s <= GOAL["load_s_max"],
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    began, load_before = time.perf_counter(), machine.os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    settings = Settings.from_env({"SANDBOX_HOME": str(tmp / "home"), **free_port_variables()})
    backend = EmbeddedBackend(settings)
    try:
        backend.start()
        endpoint = backend.endpoint("aws")
        deploy(endpoint, REPO / "lambda")
        seed(settings, endpoint)
        result = {"sizes": SIZES, **measure(settings, backend, args.runs)}
    except SandboxError as err:
        print(f"bench/snapshot.py: {err.render()}", file=sys.stderr)
        return 1
    finally:
        backend.reset()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps({**result, "machine": machine.context(began, load_before)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
