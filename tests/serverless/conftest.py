"""The processor deployed into the session's running emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.aws.browse import scan_items
from sandbox.aws.clients import client
from sandbox.aws.deploy import DeployResult, deploy
from sandbox.aws.events import Firer
from sandbox.aws.names import Names
from tests.conftest import LAMBDA_DIR

__all__ = ["LAMBDA_DIR"]


@pytest.fixture(scope="session")
def firer(aws_endpoint: str, deployed: DeployResult) -> Firer:
    return Firer(aws_endpoint)


def items_mentioning(endpoint: str, table: str, text: str) -> list[dict[str, Any]]:
    import json

    items = scan_items(client("dynamodb", endpoint), table)
    return [item for item in items if text in json.dumps(item, default=str, ensure_ascii=False)]


def deploy_handler(endpoint: str, tmp_path: Path, name: str, body: str) -> Names:
    """A one-line processor deployed under its own names: `body` is the handler's body."""
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / "handler.py").write_text(f"def handler(event, context):\n    {body}\n")
    names = Names(name)
    deploy(endpoint, folder, names)
    return names


@pytest.fixture
def lambda_modules() -> Iterator[None]:
    """Import the processor's modules by path (`lambda` is a keyword), then forget them."""
    import sys

    names = ("handler", "api", "sources", "store", "log", "attribute_values")
    sys.path.insert(0, str(LAMBDA_DIR))
    yield
    sys.path.remove(str(LAMBDA_DIR))
    for name in names:
        sys.modules.pop(name, None)
