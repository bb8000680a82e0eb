"""boto3 clients for the emulator or real AWS, and the translation of botocore errors at the
boundary.

Every function in `sandbox.aws` takes an `endpoint`: the emulator's URL, or `REAL_AWS` (only
the external backend gives it, when SANDBOX_AWS_ENDPOINT is unset). A client for REAL_AWS has
no endpoint_url and boto3's own credential chain and region, never the emulator's test keys.
boto3 is imported with the first client (~0.1 s): `sandbox deploy --help`, or a command that
stops before calling AWS, does not pay for it.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from sandbox.aws.names import REGION
from sandbox.errors import ConfigError, SandboxError, StackNotRunningError

CREDENTIALS = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}
# Not a URL on purpose: code that would build an emulator URL from it fails here, on this
# machine, instead of sending anything anywhere.
REAL_AWS = "aws:real"
CREDENTIALS_HINT = (
    "configure AWS credentials (`aws configure`, AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY), or set SANDBOX_AWS_ENDPOINT to use an emulator instead"
)
REGION_HINT = "set AWS_DEFAULT_REGION (e.g. eu-west-1) or a region in your AWS profile"


class AwsError(SandboxError):
    """The emulator refused a call; the message names the call and the AWS error."""


@dataclass(frozen=True)
class Identity:
    """Who the credentials are (STS GetCallerIdentity), and the region clients use."""

    account: str
    arn: str
    region: str


def is_real_aws(endpoint: str) -> bool:
    return endpoint == REAL_AWS


@functools.cache
def client(service: str, endpoint: str) -> Any:
    """A client for `service` on the emulator at `endpoint`, or on real AWS for REAL_AWS
    (cached: clients are thread-safe)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2,
                    read_timeout=30)  # fmt: skip
    factory: Any = boto3.client  # typed per service by the stubs; here the name is a variable
    if is_real_aws(endpoint):
        return factory(service, config=config)  # the standard credential chain and region
    return factory(service, endpoint_url=endpoint, region_name=REGION, config=config, **CREDENTIALS)


def real_region() -> str:
    """The region boto3 resolves for real AWS (AWS_REGION, the profile), or a clear error."""
    import boto3

    region = boto3.session.Session().region_name
    if not region:
        raise ConfigError("no AWS region is set for real AWS", REGION_HINT)
    return str(region)


def caller_identity(endpoint: str) -> Identity:
    """STS GetCallerIdentity: the account and identity the clients for `endpoint` act as."""
    region = real_region() if is_real_aws(endpoint) else REGION
    with translated("ask STS which account this is (GetCallerIdentity)", endpoint):
        answer = client("sts", endpoint).get_caller_identity()
    return Identity(str(answer["Account"]), str(answer["Arn"]), region)


@contextlib.contextmanager
def translated(action: str, endpoint: str) -> Iterator[None]:
    """Turn botocore errors into SandboxErrors that say what to do."""
    try:
        yield
    except (NoCredentialsError, NoRegionError, EndpointConnectionError, ConnectTimeoutError) as err:
        raise _unusable(action, endpoint, err) from err
    except ClientError as err:
        error = err.response.get("Error", {})
        raise AwsError(
            f"{action} failed: {error.get('Code', '?')}: {error.get('Message', '')}".strip(),
            _where_to_look(endpoint),
        ) from err
    except BotoCoreError as err:
        raise AwsError(f"{action} failed: {err}", _where_to_look(endpoint)) from err


def _unusable(action: str, endpoint: str, err: BotoCoreError) -> SandboxError:
    """No credentials, no region, or no answer: nothing was done."""
    if isinstance(err, NoCredentialsError):
        return ConfigError(f"no AWS credentials were found ({action})", CREDENTIALS_HINT)
    if isinstance(err, NoRegionError):
        return ConfigError(f"no AWS region is set ({action})", REGION_HINT)
    if is_real_aws(endpoint):
        return AwsError(f"AWS is not answering ({action}): {err}", "check your network")
    if _is_external(endpoint):
        return StackNotRunningError(
            f"the external AWS endpoint {endpoint} (SANDBOX_AWS_ENDPOINT) is not answering "
            f"({action})",
            "start that emulator, or point SANDBOX_AWS_ENDPOINT at one that runs",
        )
    return StackNotRunningError(
        f"the AWS emulator at {endpoint} is not answering ({action})",
        "start the stack with `sandbox up`",
    )


def _is_external(endpoint: str) -> bool:
    """An emulator the sandbox does not start: the external backend's SANDBOX_AWS_ENDPOINT."""
    configured = os.environ.get("SANDBOX_AWS_ENDPOINT", "").strip().rstrip("/")
    return bool(configured) and configured == endpoint.rstrip("/")


def _where_to_look(endpoint: str) -> str:
    if is_real_aws(endpoint):
        return "check the permissions of your AWS identity (IAM) and the resource in the console"
    return "check `sandbox logs aws`"


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
