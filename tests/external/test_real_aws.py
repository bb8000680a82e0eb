"""The real-AWS path of the external backend (SANDBOX_AWS_ENDPOINT unset), tested only up to
its first call: what it would send and the confirmation it asks for.

Nothing here reaches AWS. The one AWS client the path uses, STS, is replaced by
`FakeStsForRealAwsPath`; the deploy that would follow the confirmation by
`DeployRecorderForRealAwsPath`; any other client asked for fails the test; and the
environment sends whatever botocore might still try to a closed port on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sandbox import cli_aws
from sandbox.aws import clients
from sandbox.aws.clients import REAL_AWS
from sandbox.aws.deploy import DeployResult, Resource
from sandbox.aws.names import Names
from sandbox.cli import cli
from sandbox.errors import ConfigError, SandboxError
from tests.external.conftest import CLOSED_PORT, no_route_out

ACCOUNT = "123456789012"
ARN = f"arn:aws:iam::{ACCOUNT}:user/learner"
REGION = "xx-test-1"  # no such region: a name botocore could not resolve to a real host
CONFIRMATION = f"This deploys to the real AWS account {ACCOUNT} ({ARN}) in region {REGION}."


class FakeStsForRealAwsPath:
    """Stands in for boto3's STS client on the real-AWS path and records each call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_caller_identity(self) -> dict[str, str]:
        self.calls.append("GetCallerIdentity")
        return {"Account": ACCOUNT, "Arn": ARN, "UserId": "AIDAEXAMPLEONLY"}


class DeployRecorderForRealAwsPath:
    """Stands in for `deploy` once the person confirmed: records where it would deploy."""

    def __init__(self) -> None:
        self.endpoints: list[str] = []
        self.names: list[Names] = []

    def __call__(
        self, endpoint: str, source: Path, names: Any = None, on_wait: Any = None
    ) -> DeployResult:
        self.endpoints.append(endpoint)
        self.names.append(names)
        created = Resource("lambda-function", "sandbox-events-processor", "created")
        return DeployResult(resources=[created], stage_url="(recorded, not deployed)")


@dataclass
class RealAwsPath:
    sts: FakeStsForRealAwsPath = field(default_factory=FakeStsForRealAwsPath)
    deploy: DeployRecorderForRealAwsPath = field(default_factory=DeployRecorderForRealAwsPath)


def safe_real_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SANDBOX_AWS_ENDPOINT (real AWS), fake keys, a region that does not exist, and
    botocore's own endpoint on a closed loopback port."""
    for name in [n for n in os.environ if n.startswith(("SANDBOX_", "AWS_"))]:
        monkeypatch.delenv(name)
    settings = {
        **no_route_out(tmp_path),
        "SANDBOX_HOME": str(tmp_path / "home"),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "AKIAFAKEFORTESTSONLY",
        "AWS_SECRET_ACCESS_KEY": "fake-secret-for-tests",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RealAwsPath:
    safe_real_aws_env(monkeypatch, tmp_path)
    path = RealAwsPath()

    def client_for_this_test(service: str, endpoint: str) -> Any:
        if (service, endpoint) != ("sts", REAL_AWS):
            raise AssertionError(f"a {service} client for {endpoint} would send something")
        return path.sts

    monkeypatch.setattr(clients, "client", client_for_this_test)
    monkeypatch.setattr(cli_aws, "deploy", path.deploy)
    return path


def sandbox(*args: str, answer: str = "") -> Result:
    return CliRunner().invoke(cli, ["--backend", "external", *args], input=answer)


def test_status_makes_no_call_to_real_aws(real_aws: RealAwsPath) -> None:
    result = sandbox("status", "--json")
    assert result.exit_code == 0, result.output
    aws = json.loads(result.stdout)["services"]["aws"]
    assert (aws["state"], aws["url"]) == ("healthy", REAL_AWS)
    assert "status does not call it" in aws["error"]
    assert real_aws.sts.calls == []


def test_up_asks_sts_once_which_account_the_credentials_belong_to(real_aws: RealAwsPath) -> None:
    result = sandbox("up")
    assert result.exit_code == 0, result.output
    assert f"aws: real AWS account {ACCOUNT} ({ARN}) in region {REGION}" in result.stdout
    assert real_aws.sts.calls == ["GetCallerIdentity"]


def test_deploy_names_the_account_and_region_and_asks_first(
    real_aws: RealAwsPath, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_aws, "can_ask", lambda: True)
    result = sandbox("deploy", answer="y\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"{CONFIRMATION}\nDeploy there? [y/N]: ")
    assert real_aws.sts.calls == ["GetCallerIdentity"]
    assert real_aws.deploy.endpoints == [REAL_AWS]


def test_answering_no_deploys_nothing(
    real_aws: RealAwsPath, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_aws, "can_ask", lambda: True)
    result = sandbox("deploy", answer="n\n")
    assert result.exit_code == 1
    assert CONFIRMATION in result.stderr
    assert real_aws.deploy.endpoints == []


def test_yes_skips_the_question_but_still_names_the_account(real_aws: RealAwsPath) -> None:
    result = sandbox("deploy", "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == CONFIRMATION + "\n"
    assert json.loads(result.stdout)["stage_url"] == "(recorded, not deployed)"
    assert (real_aws.sts.calls, real_aws.deploy.endpoints) == (["GetCallerIdentity"], [REAL_AWS])


def test_deploy_uses_the_names_of_the_account_and_region_sts_named(
    real_aws: RealAwsPath,
) -> None:
    result = sandbox("deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert real_aws.deploy.names == [Names.for_account(ACCOUNT, REGION)]
    assert real_aws.deploy.names[0].bucket == f"sandbox-uploads-{ACCOUNT}-{REGION}"


def test_rollback_in_a_real_account_names_it_and_asks_first(
    real_aws: RealAwsPath, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox import cli_release
    from sandbox.aws.release import Rollback

    moved: list[Names] = []

    def rollback_recorder(endpoint: str, names: Names, on_wait: Any = None) -> Rollback:
        moved.append(names)
        return Rollback(names.function, "2", "1")

    monkeypatch.setattr(cli_release, "rollback", rollback_recorder)
    monkeypatch.setattr(cli_release, "_not_on_live", lambda endpoint, names: [])
    monkeypatch.setattr(cli_aws, "can_ask", lambda: True)
    refused = sandbox("rollback", answer="n\n")
    assert refused.exit_code == 1
    assert moved == []
    result = sandbox("rollback", answer="y\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"This moves the live alias in the real AWS account {ACCOUNT} ({ARN}) in region "
        f"{REGION}.\nRoll back there? [y/N]: "
    )
    assert moved == [Names.for_account(ACCOUNT, REGION)]
    assert result.stdout == "live: version 1 (was 2)\n"


def test_without_a_terminal_or_yes_deploy_refuses_before_any_call(real_aws: RealAwsPath) -> None:
    result = sandbox("deploy")
    assert result.exit_code == 2
    refusal = "deploy would change a real AWS account; run it in a terminal to confirm, or with"
    assert refusal + " --yes" in result.output
    assert (real_aws.sts.calls, real_aws.deploy.endpoints) == ([], [])


def test_without_a_region_nothing_is_asked_or_sent(
    real_aws: RealAwsPath, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = sandbox("deploy", "--yes")
    assert isinstance(result.exception, ConfigError)
    assert result.exception.render() == (
        "no AWS region is set for real AWS\n"
        "  -> set AWS_DEFAULT_REGION (e.g. eu-west-1) or a region in your AWS profile"
    )
    assert (real_aws.sts.calls, real_aws.deploy.endpoints) == ([], [])


def test_a_real_aws_client_has_no_endpoint_and_uses_the_standard_chain(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Building a client sends nothing; the closed port shows botocore chose the endpoint."""
    import boto3

    safe_real_aws_env(monkeypatch, tmp_path)
    # boto3's default session keeps the first credentials it found (an earlier test's, in
    # the same process): start from a new one, as a new `sandbox` process does.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    clients.client.cache_clear()
    try:
        real = clients.client("dynamodb", REAL_AWS)
        emulator = clients.client("dynamodb", "http://127.0.0.1:4566")
    finally:
        clients.client.cache_clear()  # the next test's environment differs
    assert (real.meta.endpoint_url, real.meta.region_name) == (CLOSED_PORT, REGION)
    assert real._request_signer._credentials.access_key == "AKIAFAKEFORTESTSONLY"
    assert (emulator.meta.endpoint_url, emulator.meta.region_name) == (
        "http://127.0.0.1:4566",
        "us-east-1",
    )
    assert emulator._request_signer._credentials.access_key == "sandbox"


def test_the_tui_refuses_to_deploy_to_a_real_account_it_cannot_name(
    real_aws: RealAwsPath, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox.tui import source

    monkeypatch.setattr(source, "deploy", real_aws.deploy)
    with pytest.raises(SandboxError) as raised:
        source.RealSource(backend="external").deploy()
    assert raised.value.render() == (
        "the TUI does not deploy to a real AWS account\n"
        "  -> run `sandbox deploy` in a terminal: it names the account and asks first"
    )
    assert (real_aws.sts.calls, real_aws.deploy.endpoints) == ([], [])
