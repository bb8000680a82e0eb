"""One emulator behind the chaos API for the session, started by the sandbox's own launcher,
and a clean slate (no rule, no latency) around every test."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sandbox.aws.clients import CREDENTIALS
from sandbox.services import aws
from sandbox.services.chaos.client import ChaosClient
from sandbox.services.process import ServerProcess
from tests.helpers import free_port

NO_RETRIES: Any = {"mode": "standard", "total_max_attempts": 1}
TABLE = "chaos-orders"


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = aws.start(aws.AwsConfig(home=tmp_path_factory.mktemp("chaos"), port=free_port()))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def endpoint(emulator: ServerProcess) -> str:
    return emulator.url


@pytest.fixture
def chaos(endpoint: str) -> Iterator[ChaosClient]:
    client = ChaosClient(endpoint)
    client.set_faults([])
    client.set_latency(0)
    yield client
    client.set_faults([])
    client.set_latency(0)


@pytest.fixture(scope="session")
def table(endpoint: str) -> str:
    boto("dynamodb", endpoint).create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return TABLE


def boto(service: str, endpoint: str, region: str = "us-east-1", retries: Any = None) -> Any:
    """A fresh client (its own retry quota), with no retries unless `retries` says so."""
    config = Config(retries=retries or NO_RETRIES, connect_timeout=2, read_timeout=30)
    factory: Any = boto3.client
    return factory(service, endpoint_url=endpoint, region_name=region, config=config, **CREDENTIALS)


def http(endpoint: str, method: str, path: str, body: bytes | object = None) -> tuple[int, Any]:
    """A raw request, as curl would send it: (status, decoded JSON answer)."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        endpoint + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())
