"""Events fired right after a restart of a persisted stack reach the processor, from every source.

ministack 1.5.33 saves each DynamoDB-stream trigger's read offset but not the stream's records,
so after a restart the first N stream records (N = the records read before it) were skipped.
That is why each test fires before it restarts: on an emulator that never read a record the
offset is 0 and nothing is lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.aws.deploy import deploy
from sandbox.aws.events import SOURCES, Firer
from sandbox.errors import SandboxError
from sandbox.services import aws
from sandbox.services.process import ServerProcess
from sandbox.stack.embedded import EmbeddedBackend
from tests.conftest import stack_settings
from tests.helpers import free_port
from tests.serverless.conftest import LAMBDA_DIR

SEND_WINDOW = 1.0  # every event must be sent within this long of `up` returning
FIRE_TIMEOUT = 10.0  # per event, from its send to its item


@dataclass(frozen=True)
class Outcome:
    source: str
    sent_at: float  # time.monotonic() just before the send
    error: str = ""


def fire_once(firer: Firer, source: str) -> Outcome:
    sent_at = time.monotonic()
    try:
        firer.fire(source, timeout=FIRE_TIMEOUT)
    except SandboxError as err:
        return Outcome(source, sent_at, err.message)
    return Outcome(source, sent_at)


def fire_every_source_at_once(firer: Firer) -> list[Outcome]:
    """One thread per source, so all six are sent at once rather than one wait after another."""
    with ThreadPoolExecutor(len(SOURCES)) as pool:
        return list(pool.map(lambda source: fire_once(firer, source), SOURCES))


def failures(outcomes: list[Outcome]) -> dict[str, str]:
    return {o.source: o.error for o in outcomes if o.error}


STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/2026-01-01T00:00:00.000"
LISTED = {
    "UUID": "u-1",
    "EventSourceArn": STREAM_ARN,
    "State": "Disabled",
    "BatchSize": 7,
    "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:f:live",
    "StartingPosition": "TRIM_HORIZON",
    "LastProcessingResult": "OK - 1 records",
    "LastModified": 1,
    "EventSourceMappingArn": "arn:...:u-1",
    "Qualifier": "live",
    "FunctionResponseTypes": [],
    "MaximumRetryAttempts": None,
}


def test_a_recreated_mapping_keeps_its_settings_and_drops_its_state() -> None:
    assert aws.recreate_request(LISTED) == {
        "FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:f:live",
        "Enabled": False,
        "EventSourceArn": STREAM_ARN,
        "BatchSize": 7,
        "StartingPosition": "TRIM_HORIZON",
        "FunctionResponseTypes": [],
    }


def test_only_dynamodb_stream_mappings_are_reanchored() -> None:
    assert aws.is_stream_mapping(LISTED)
    assert not aws.is_stream_mapping({"EventSourceArn": "arn:aws:sqs:us-east-1:0:jobs"})
    assert not aws.is_stream_mapping({"EventSourceArn": STREAM_ARN.split("/stream/")[0]})


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    backend = EmbeddedBackend(stack_settings(tmp_path / "home"))
    yield backend
    backend.reset()


@pytest.mark.slow
def test_every_source_fired_within_a_second_of_a_restart_arrives(stack: EmbeddedBackend) -> None:
    stack.start()
    endpoint = stack.endpoint("aws")
    deploy(endpoint, LAMBDA_DIR)
    firer = Firer(endpoint)
    # One by one: this also creates the (cached) clients before threads share them.
    assert failures([fire_once(firer, source) for source in SOURCES]) == {}
    stack.stop()

    stack.start()
    up_returned = time.monotonic()
    outcomes = fire_every_source_at_once(firer)

    assert failures(outcomes) == {}
    assert max(o.sent_at for o in outcomes) - up_returned < SEND_WINDOW


@pytest.fixture
def emulator_config(tmp_path: Path) -> aws.AwsConfig:
    return aws.AwsConfig(tmp_path / "home", port=free_port())


@pytest.mark.slow
def test_deploy_repairs_the_stream_trigger_of_an_emulator_restarted_another_way(
    emulator_config: aws.AwsConfig,
) -> None:
    """`launch` is the bare emulator, as compose or a person starts it: nothing re-anchors
    the trigger on start, so the deploy our error hint suggests must."""
    servers: list[ServerProcess] = []
    try:
        servers.append(aws.launch(emulator_config))
        deploy(servers[-1].url, LAMBDA_DIR)
        Firer(servers[-1].url).fire("dynamodb", timeout=FIRE_TIMEOUT)
        servers[-1].stop()
        servers.append(aws.launch(emulator_config))

        deploy(servers[-1].url, LAMBDA_DIR)

        assert Firer(servers[-1].url).fire("dynamodb", timeout=FIRE_TIMEOUT).item is not None
    finally:
        for server in servers:
            server.stop()
