"""Deploy the Lambda processor into the emulator's container and fire every event source
through it: the function runs inside the ministack container (its Python has boto3).
`sandbox deploy` finds the container's published port; the events are fired from this
process at that port (`sandbox fire` itself is tested in tests/serverless)."""

from __future__ import annotations

import json

import pytest

from sandbox.aws.events import SOURCES, Firer
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
    fired = Firer(deployed.url("aws")).fire(source, timeout=20).to_dict()
    assert fired["item"] is not None, fired
    assert fired["item"]["source"], fired["item"]


def test_a_second_deploy_changes_nothing(deployed: ComposeStack) -> None:
    again = json.loads(deployed.ok("deploy", "--json"))
    assert {r["action"] for r in again["resources"]} <= {"unchanged"}
