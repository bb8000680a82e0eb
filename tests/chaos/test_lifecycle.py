"""Faults never outlive the emulator, and with none in force the events still flow."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.aws.deploy import deploy
from sandbox.aws.events import Firer
from sandbox.services import aws
from sandbox.services.chaos.client import ChaosApiError, ChaosClient
from sandbox.services.process import ServerProcess
from tests.helpers import free_port
from tests.serverless.conftest import LAMBDA_DIR


def test_a_restart_clears_the_rules_and_the_latency(tmp_path: Path) -> None:
    config = aws.AwsConfig(home=tmp_path, port=free_port())
    server = aws.start(config)
    try:
        chaos = ChaosClient(server.url)
        chaos.set_faults([{"service": "dynamodb"}])
        chaos.set_latency(100)
    finally:
        server.stop()
    server = aws.start(config)  # same state dir and port: what `down` then `up` does
    try:
        chaos = ChaosClient(server.url)
        assert (chaos.faults(), chaos.effects()) == ([], {"latency": 0})
    finally:
        server.stop()


def test_events_flow_end_to_end_through_the_wrapped_emulator(
    chaos: ChaosClient, emulator: ServerProcess
) -> None:
    deploy(emulator.url, LAMBDA_DIR)
    result = Firer(emulator.url).fire("sqs", timeout=15)
    assert result.item is not None
    assert result.item["source"] == "aws:sqs"


def test_a_bare_ministack_has_no_chaos_api(tmp_path: Path) -> None:
    config = aws.AwsConfig(home=tmp_path, port=free_port(), chaos=False)
    server = aws.start(config)
    try:
        with pytest.raises(ChaosApiError, match="has no chaos API"):
            ChaosClient(server.url).faults()
    finally:
        server.stop()
