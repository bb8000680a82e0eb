"""boto3 clients for the emulator, and the translation of botocore errors at the boundary."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from sandbox.aws.names import REGION
from sandbox.errors import SandboxError, StackNotRunningError

CREDENTIALS = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}


class AwsError(SandboxError):
    """The emulator refused a call; the message names the call and the AWS error."""


@functools.cache
def client(service: str, endpoint: str) -> Any:
    """A client for `service` on the emulator at `endpoint` (cached: clients are thread-safe)."""
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2,
                    read_timeout=30)  # fmt: skip
    factory: Any = boto3.client  # typed per service by the stubs; here the name is a variable
    return factory(service, endpoint_url=endpoint, region_name=REGION, config=config, **CREDENTIALS)


@contextlib.contextmanager
def translated(action: str, endpoint: str) -> Iterator[None]:
    """Turn botocore errors into SandboxErrors that say what to do."""
    try:
        yield
    except EndpointConnectionError as err:
        raise StackNotRunningError(
            f"the AWS emulator at {endpoint} is not answering ({action})",
            "start the stack with `sandbox up`",
        ) from err
    except ClientError as err:
        error = err.response.get("Error", {})
        raise AwsError(
            f"{action} failed: {error.get('Code', '?')}: {error.get('Message', '')}".strip(),
            "check `sandbox logs aws`",
        ) from err
    except BotoCoreError as err:
        raise AwsError(f"{action} failed: {err}", "check `sandbox logs aws`") from err


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
