"""Deploy the Lambda processor into the emulator's container and fire every event source
through it: the function runs inside the ministack container (its Python has boto3)."""

from __future__ import annotations

import json

import pytest

from sandbox.aws.events import SOURCES
from tests.compose.conftest import ComposeStack

pytestmark = pytest.mark.compose


@pytest.fixture(scope="module")
def deployed(stack: ComposeStack) -> ComposeStack:
    stack.backend().start(timeout=300)  # as the `running` fixture
    result = json.loads(stack.ok("deploy", "--json"))
    assert result["stage_url"].startswith(stack.url("aws"))
    return stack


@pytest.mark.parametrize("source", SOURCES)
def test_fire_reaches_the_processor_in_the_container(deployed: ComposeStack, source: str) -> None:
    fired = json.loads(deployed.ok("fire", source, "--json", "--timeout", "20"))
    assert fired["item"] is not None, fired
    assert fired["item"]["source"], fired["item"]


def test_a_second_deploy_changes_nothing(deployed: ComposeStack) -> None:
    again = json.loads(deployed.ok("deploy", "--json"))
    assert {r["action"] for r in again["resources"]} <= {"unchanged"}
