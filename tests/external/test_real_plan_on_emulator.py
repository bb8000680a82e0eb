"""The whole deploy a real account gets, run for real against an outside emulator.

A real account cannot be reached from here, but everything the real-account deploy does that
an emulator does not need (the execution role, the invoke permissions, the unique bucket name,
the bucket's region) is plain AWS API that ministack implements. So the real-account plan
(`Names.for_account`, with the account the emulator's STS names) is deployed, deployed again,
and released, and the events still flow. Only the API's URL is the real execute-api host,
which cannot be called here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from sandbox.aws import iam
from sandbox.aws.clients import caller_identity, client
from sandbox.aws.deploy import Deployer, DeployResult
from sandbox.aws.events import Firer
from sandbox.aws.names import Names
from sandbox.aws.release import ReleaseResult, publish
from sandbox.services.process import ServerProcess
from tests.serverless.conftest import LAMBDA_DIR

pytestmark = pytest.mark.slow


@dataclass
class Plan:
    endpoint: str
    names: Names
    first: DeployResult
    again: DeployResult
    released: ReleaseResult

    def aws(self, service: str) -> Any:
        return client(service, self.endpoint)

    def statements(self, qualifier: str | None = None) -> set[str]:
        where = {"Qualifier": qualifier} if qualifier else {}
        policy = self.aws("lambda").get_policy(FunctionName=self.names.function, **where)
        return {s["Sid"] for s in json.loads(policy["Policy"])["Statement"]}


@pytest.fixture(scope="module")
def plan(outside_emulator: ServerProcess) -> Plan:
    endpoint = outside_emulator.url
    who = caller_identity(endpoint)  # the emulator's own account, as STS names it
    names = Names.for_account(who.account, who.region, prefix="realplan")
    first = Deployer(endpoint, LAMBDA_DIR, names).run()
    again = Deployer(endpoint, LAMBDA_DIR, names).run()
    return Plan(endpoint, names, first, again, publish(endpoint, LAMBDA_DIR, names))


def test_the_function_runs_as_a_role_that_trusts_lambda_with_the_least_policy(
    plan: Plan,
) -> None:
    role = plan.aws("iam").get_role(RoleName="realplan-lambda-role")["Role"]
    assert role["AssumeRolePolicyDocument"] == iam.trust_policy()
    inline = plan.aws("iam").get_role_policy(
        RoleName="realplan-lambda-role", PolicyName="realplan-processor-access"
    )
    assert inline["PolicyDocument"] == iam.access_policy(plan.names)
    function = plan.aws("lambda").get_function(FunctionName=plan.names.function)
    assert function["Configuration"]["Role"] == role["Arn"] == plan.names.role_arn


def test_every_invoking_service_may_call_the_function_and_then_its_live_alias(
    plan: Plan,
) -> None:
    wanted = {"s3-invokes", "sns-invokes", "events-invokes-realplan-orders",
              "events-invokes-realplan-users", "apigateway-invokes"}  # fmt: skip
    assert wanted <= plan.statements()
    assert plan.statements("live") == {f"{statement}-live" for statement in wanted}


def test_the_bucket_name_is_unique_to_the_account_and_region(plan: Plan) -> None:
    bucket = f"realplan-uploads-{plan.names.account}-us-east-1"
    assert bucket in {b["Name"] for b in plan.aws("s3").list_buckets()["Buckets"]}
    assert ("s3-bucket", bucket, "created") in {
        (r.kind, r.name, r.action) for r in plan.first.resources
    }


def test_the_api_is_given_its_real_execute_api_url(plan: Plan) -> None:
    assert plan.first.stage_url.startswith("https://")
    assert plan.first.stage_url.endswith(".execute-api.us-east-1.amazonaws.com/dev")


def test_a_second_deploy_changes_nothing(plan: Plan) -> None:
    assert plan.again.changed == []
    assert ("iam-role", "realplan-lambda-role", "unchanged") in {
        (r.kind, r.name, r.action) for r in plan.again.resources
    }


def test_events_reach_the_released_version_through_the_real_account_wiring(plan: Plan) -> None:
    assert plan.released.released, [c.detail for c in plan.released.failures]
    firer = Firer(plan.endpoint, plan.names)
    for source in ("s3", "sqs", "eventbridge"):
        item = firer.fire(source, timeout=15).item
        assert item is not None
        assert item["processed"] is True
