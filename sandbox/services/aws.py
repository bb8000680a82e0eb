"""The AWS emulator: ministack, run as our child on 127.0.0.1 with state in the state dir.

It runs behind LocalStack's chaos API (`python -m sandbox.services.chaos`: ministack's own
startup, its app wrapped in-process; see that package), so fault rules and latency live in
the emulator's memory only, and every stop (`down`, `reset`, a restart) clears them.

Pitfalls handled here: ministack binds 0.0.0.0 unless BIND_HOST is set; its IoT mTLS and
SFTP listeners open extra ports on every interface unless disabled; it persists state only
with PERSIST_STATE/S3_PERSIST and only on a graceful stop (SIGTERM), never on SIGKILL.
Its Lambda workers are subprocesses of the same Python, so boto3 is importable there.
After a restart its DynamoDB-stream triggers skip records until re-anchored: see
`reanchor_stream_mappings`, which `start` runs once the emulator answers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.errors import BinaryNotFoundError, DataDirError, ServiceStartError
from sandbox.readiness import HttpCheck
from sandbox.services.base import ServiceDef
from sandbox.services.process import (
    ServerProcess,
    ensure_port_free,
    spawn,
    tail,
    wait_until_ready,
)

if TYPE_CHECKING:
    from sandbox.config import Settings

SERVICE = "aws"
CHAOS_MODULE = "sandbox.services.chaos"  # ministack's main(), its app behind the chaos API
HEALTH_PATH = "/_localstack/health"
REGION = "us-east-1"
MAPPINGS_PATH = "/2015-03-31/event-source-mappings/"
# The settings CreateEventSourceMapping takes back from a listed mapping (the rest is state).
MAPPING_SETTINGS = (
    "EventSourceArn",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "StartingPosition",
    "StartingPositionTimestamp",
    "FunctionResponseTypes",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "ParallelizationFactor",
    "TumblingWindowInSeconds",
    "DestinationConfig",
    "FilterCriteria",
    "ScalingConfig",
    "Tags",
)


@dataclass(frozen=True)
class AwsConfig:
    home: Path
    port: int = 4566
    start_timeout: float = 30.0
    chaos: bool = True  # False: bare `python -m ministack` (what the overhead benchmark compares)

    @property
    def data_dir(self) -> Path:
        return self.home / SERVICE

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "state"

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / f"{SERVICE}.log"


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def start(config: AwsConfig) -> ServerProcess:
    """Start the emulator, return once it answers and its stream triggers read this run's
    streams."""
    server = launch(config)
    # Without saved Lambda state there is no trigger to re-anchor: a cold start skips the
    # call (ministack's first Lambda answer loads botocore's model, ~0.1-0.25 s of CPU).
    if (config.state_dir / "lambda.json").exists():
        _reanchor_or_stop(server, config)
    return server


def _reanchor_or_stop(server: ServerProcess, config: AwsConfig) -> None:
    try:
        reanchor_stream_mappings(server.url)
    except OSError as err:  # urllib's errors: the emulator stopped answering or refused
        server.stop(timeout=5)
        raise ServiceStartError(
            SERVICE,
            f"started, but its DynamoDB stream triggers could not be re-anchored: {err}",
            f"read the log at {config.log_path}",
            log_tail=tail(config.log_path),
        ) from err


def launch(config: AwsConfig) -> ServerProcess:
    """Start the emulator, without re-anchoring its stream triggers, and return once it
    answers."""
    if importlib.util.find_spec("ministack") is None:
        raise BinaryNotFoundError(
            SERVICE, "the ministack emulator is not installed", "run `make install`"
        )
    ensure_port_free(SERVICE, config.port, "SANDBOX_AWS_PORT")
    _prepare(config)
    popen = spawn(
        SERVICE, argv(config), config.log_path, env=environment(config), cwd=config.data_dir
    )
    server = ServerProcess(
        SERVICE, popen, config.port, url(config.port), config.log_path, signal.SIGTERM
    )
    wait_until_ready(server, readiness(config.port), config.start_timeout)
    return server


def argv(config: AwsConfig) -> list[str]:
    return [sys.executable, "-m", CHAOS_MODULE if config.chaos else "ministack"]


def environment(config: AwsConfig) -> dict[str, str]:
    data = config.data_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "AWS_"))}
    env.update(
        GATEWAY_PORT=str(config.port),
        BIND_HOST="127.0.0.1",
        IOT_MTLS_ENABLED="0",
        SFTP_ENABLED="0",
        PERSIST_STATE="1",
        STATE_DIR=str(config.state_dir),
        S3_PERSIST="1",
        S3_DATA_DIR=str(data / "s3"),
        TMPDIR=str(data / "tmp"),  # its pid file and Lambda scratch space stay in the state dir
        MINISTACK_REGION=REGION,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


def _prepare(config: AwsConfig) -> None:
    try:
        for sub in ("state", "s3", "tmp"):
            (config.data_dir / sub).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataDirError(
            SERVICE,
            f"cannot create the emulator's data directory under {config.home}: {err}",
            "make the folder writable, or set SANDBOX_HOME to a writable folder",
        ) from err


def readiness(port: int) -> HttpCheck:
    return HttpCheck(url(port) + HEALTH_PATH, contains=b'"services"')


def is_ministack(endpoint: str) -> bool:
    """The emulator at `endpoint` is ministack (LocalStack has no /_ministack/ paths)."""
    return HttpCheck(endpoint + "/_ministack/health", contains=b'"services"')()


# -- ministack's stream triggers after a restart --------------------------------------------


def reanchor_stream_mappings(endpoint: str) -> int:
    """Re-create every DynamoDB-stream trigger, so it reads from the end of this run's stream;
    return how many were re-created.

    Why: ministack 1.5.33 saves each trigger's read offset, an index into the table's stream
    (lambda_svc.get_state: `dynamodb_stream_positions`), but not the stream's records
    (dynamodb.get_state leaves out `_stream_records`). After a restart the stream starts again
    at index 0 while the offset still says N, so `_poll_dynamodb_streams` finds nothing past N
    and the first N new records are never delivered. A new trigger is anchored at the stream's
    end as it is created (`_init_stream_position`): right after a start the stream is empty, so
    none is skipped. The copy is made before the original is deleted: a trigger that cannot be
    re-created (its function is gone) stays as it was.
    """
    recreated = 0
    for mapping in filter(is_stream_mapping, list_mappings(endpoint)):
        try:
            _call(endpoint, "POST", MAPPINGS_PATH, recreate_request(mapping))
        except urllib.error.HTTPError:
            continue
        _call(endpoint, "DELETE", MAPPINGS_PATH + mapping["UUID"])
        recreated += 1
    return recreated


def is_stream_mapping(mapping: Mapping[str, Any]) -> bool:
    arn = str(mapping.get("EventSourceArn", ""))
    return ":dynamodb:" in arn and "/stream/" in arn


def recreate_request(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateEventSourceMapping arguments that make a copy of a listed `mapping`."""
    settings = {key: mapping[key] for key in MAPPING_SETTINGS if mapping.get(key) is not None}
    enabled = mapping.get("State") not in ("Disabled", "Disabling")
    return {"FunctionName": mapping["FunctionArn"], "Enabled": enabled, **settings}


def list_mappings(endpoint: str) -> list[dict[str, Any]]:
    """Every event source mapping of the default account and region, page after page."""
    mappings: list[dict[str, Any]] = []
    marker = ""
    while True:
        query = f"?Marker={marker}" if marker else ""
        page = _call(endpoint, "GET", MAPPINGS_PATH + query)
        mappings += page.get("EventSourceMappings", [])
        marker = str(page.get("NextMarker") or "")
        if not marker:
            return mappings


def _call(
    endpoint: str, method: str, path: str, body: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One Lambda REST call. Plain HTTP rather than boto3: importing boto3 and building a
    client would cost the process starting the emulator about 0.3 s."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the emulator on loopback
        endpoint + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        answer = response.read()
    return dict(json.loads(answer)) if answer.strip() else {}


def start_from(settings: Settings) -> ServerProcess:
    return start(AwsConfig(settings.home, settings.aws_port))


DEFINITION = ServiceDef(
    name=SERVICE,
    title="AWS emulator",
    default_port=4566,
    launch=start_from,
    readiness=lambda s: readiness(s.aws_port),
    url=url,
    container_port=4566,
)
