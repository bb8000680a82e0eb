"""`reset` removes the containers, the named volumes (the data) and the state dir. It runs
last (see conftest.MODULE_ORDER): the stack stays down."""

from __future__ import annotations

import pytest
import requests

from tests.compose.conftest import CLOSE, ComposeStack

pytestmark = pytest.mark.compose


def test_reset_removes_the_data(running: ComposeStack) -> None:
    created = requests.post(
        running.url("app") + "/api/users",
        json={"email": "gone@example.org"},
        headers=CLOSE,
        timeout=10,
    )
    assert created.status_code in (201, 409)
    assert running.volumes()
    running.ok("reset", "--yes")
    assert running.containers() == []
    assert running.volumes() == []
    assert not running.home.exists()
