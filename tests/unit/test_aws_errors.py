"""An AWS endpoint that does not answer is reported with the step that fixes it: the
sandbox's own emulator (`sandbox up`) or an external one (SANDBOX_AWS_ENDPOINT)."""

from __future__ import annotations

import pytest

from sandbox.aws.clients import client, translated
from sandbox.errors import StackNotRunningError
from tests.helpers import free_port


def list_queues_at(endpoint: str) -> StackNotRunningError:
    with pytest.raises(StackNotRunningError) as caught, translated("list the queues", endpoint):
        client("sqs", endpoint).list_queues()
    return caught.value


def test_the_sandboxs_own_emulator_down_says_sandbox_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SANDBOX_AWS_ENDPOINT", raising=False)
    error = list_queues_at(f"http://127.0.0.1:{free_port()}")
    assert "is not answering (list the queues)" in error.message
    assert "sandbox up" in error.hint


def test_an_external_emulator_down_names_the_variable_not_sandbox_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SANDBOX_AWS_ENDPOINT", endpoint + "/")
    error = list_queues_at(endpoint)
    assert f"the external AWS endpoint {endpoint} (SANDBOX_AWS_ENDPOINT)" in error.message
    assert "sandbox up" not in error.hint
    assert "SANDBOX_AWS_ENDPOINT" in error.hint
