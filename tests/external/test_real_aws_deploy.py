"""What a deploy to a real AWS account would send: the names and ARNs in the caller's account
and region, the execution role and its policies, the retry while IAM propagates a new role,
the bucket's region, the invoke permissions and the API's real URL.

Nothing here reaches AWS. Each test replaces the clients with `StubbedAwsForRealAwsPath`:
botocore's Stubber, which answers every call from a queue and checks its parameters, on
clients whose endpoint is a closed port on 127.0.0.1. A call nobody queued fails the test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from sandbox.aws import deploy as deploy_module
from sandbox.aws import iam
from sandbox.aws.clients import REAL_AWS, AwsError
from sandbox.aws.deploy import FUNCTION_TIMEOUT, RUNTIME, Deployer, stage_url
from sandbox.aws.names import Names
from sandbox.aws.triggers import stage_url_for
from tests.external.conftest import CLOSED_PORT, no_route_out
from tests.serverless.conftest import LAMBDA_DIR

ACCOUNT = "123456789012"
REGION = "eu-west-1"
NAMES = Names.for_account(ACCOUNT, REGION)
ROLE_NOT_READY = "The role defined for the function cannot be assumed by Lambda."


class StubbedAwsForRealAwsPath:
    """Stands in for `clients.client` on the real-AWS path: one Stubber-driven client per
    service, answering from queued responses and checking each call's parameters."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}

    def __call__(self, service: str, endpoint: str) -> Any:
        assert endpoint == REAL_AWS, f"a {service} client for {endpoint}"
        if service not in self.clients:
            self.clients[service] = boto3.client(
                service, region_name=REGION, endpoint_url=CLOSED_PORT,
                aws_access_key_id="AKIAFAKEFORTESTSONLY", aws_secret_access_key="fake",
            )  # fmt: skip
            self.stubbers[service] = Stubber(self.clients[service])
            self.stubbers[service].activate()
        return self.clients[service]

    def answer(
        self, service: str, method: str, response: dict[str, Any], expected: dict[str, Any]
    ) -> None:
        self(service, REAL_AWS)
        self.stubbers[service].add_response(method, response, expected)

    def refuse(self, service: str, method: str, code: str, message: str = "") -> None:
        self(service, REAL_AWS)
        self.stubbers[service].add_client_error(method, code, message)

    def assert_all_calls_made(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> StubbedAwsForRealAwsPath:
    for name, value in no_route_out(tmp_path).items():
        monkeypatch.setenv(name, value)
    stubbed = StubbedAwsForRealAwsPath()
    monkeypatch.setattr(deploy_module, "client", stubbed)
    return stubbed


class SleepRecorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def real_deployer(sleep: SleepRecorder | None = None) -> Deployer:
    return Deployer(REAL_AWS, LAMBDA_DIR, NAMES, sleep=sleep or SleepRecorder())


# -- names ----------------------------------------------------------------------------------


def test_names_in_a_real_account_carry_its_account_and_region() -> None:
    assert NAMES.role_arn == f"arn:aws:iam::{ACCOUNT}:role/sandbox-lambda-role"
    assert NAMES.function_arn == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:sandbox-events-processor"
    )
    assert NAMES.alias_arn == NAMES.function_arn + ":live"
    assert NAMES.topic_arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:sandbox-notifications"
    assert NAMES.queue_arn(NAMES.queue) == f"arn:aws:sqs:{REGION}:{ACCOUNT}:sandbox-jobs"


def test_a_real_accounts_bucket_is_unique_and_the_emulators_keeps_its_name() -> None:
    assert NAMES.bucket == f"sandbox-uploads-{ACCOUNT}-{REGION}"
    emulator = Names()
    assert (emulator.bucket, emulator.account, emulator.region) == (
        "sandbox-uploads",
        "000000000000",
        "us-east-1",
    )
    assert emulator.role_arn == "arn:aws:iam::000000000000:role/sandbox-lambda-role"


def test_the_stage_url_on_real_aws_is_the_execute_api_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = f"https://abc123.execute-api.{REGION}.amazonaws.com/dev"
    assert stage_url_for(REAL_AWS, NAMES, "abc123") == expected
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)  # what boto3 would use for real AWS
    assert stage_url(REAL_AWS, "abc123", "dev") == expected
    emulator = "http://127.0.0.1:4566"
    assert stage_url(emulator, "abc123", "dev") == f"{emulator}/restapis/abc123/dev/_user_request_"


# -- the execution role ---------------------------------------------------------------------


def test_a_missing_role_is_created_trusting_only_lambda(aws: StubbedAwsForRealAwsPath) -> None:
    aws.refuse("iam", "get_role", "NoSuchEntity", "The role cannot be found.")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }]}  # fmt: skip
    aws.answer("iam", "create_role", {"Role": role()},
               {"RoleName": "sandbox-lambda-role", "AssumeRolePolicyDocument": json.dumps(trust),
                "Description": ANY})  # fmt: skip
    aws.answer("iam", "put_role_policy", {},
               {"RoleName": "sandbox-lambda-role", "PolicyName": "sandbox-processor-access",
                "PolicyDocument": json.dumps(iam.access_policy(NAMES))})  # fmt: skip
    deployer = real_deployer()
    deployer.ensure_role()
    aws.assert_all_calls_made()
    assert [(r.kind, r.name, r.action) for r in deployer.result.resources] == [
        ("iam-role", "sandbox-lambda-role", "created")
    ]


def test_the_role_allows_only_what_the_processor_does_on_its_own_resources() -> None:
    allowed = {
        s["Sid"]: (s["Action"], s["Resource"]) for s in iam.access_policy(NAMES)["Statement"]
    }
    events = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/sandbox-events"
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/sandbox-events-processor"
    assert allowed == {
        "WriteItsLog": (["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                        [log_group, log_group + ":*"]),
        "StoreAndQueryEvents": (["dynamodb:PutItem", "dynamodb:Query"],
                                [events, events + "/index/*"]),
        "ReadOrdersStream": (["dynamodb:DescribeStream", "dynamodb:GetRecords",
                              "dynamodb:GetShardIterator"],
                             [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/sandbox-orders/stream/*"]),
        "FindOrdersStream": (["dynamodb:ListStreams"], ["*"]),
        "ConsumeJobsQueue": (["sqs:ReceiveMessage", "sqs:DeleteMessage",
                              "sqs:GetQueueAttributes"],
                             [f"arn:aws:sqs:{REGION}:{ACCOUNT}:sandbox-jobs"]),
        "PublishNotifications": (["sns:Publish"], [NAMES.topic_arn]),
    }  # fmt: skip


def test_an_existing_role_with_the_same_policies_is_left_alone(
    aws: StubbedAwsForRealAwsPath,
) -> None:
    aws.answer("iam", "get_role", {"Role": role(iam.trust_policy())},
               {"RoleName": "sandbox-lambda-role"})  # fmt: skip
    policy = {"RoleName": "sandbox-lambda-role", "PolicyName": "sandbox-processor-access"}
    document = as_iam_sends(iam.access_policy(NAMES))
    aws.answer("iam", "get_role_policy", {**policy, "PolicyDocument": document}, policy)
    deployer = real_deployer()
    deployer.ensure_role()
    aws.assert_all_calls_made()
    assert deployer.result.resources[0].action == "unchanged"


def role(trust: dict[str, Any] | None = None) -> dict[str, Any]:
    from datetime import UTC, datetime

    answer = {"Path": "/", "RoleName": NAMES.role, "RoleId": "AROAEXAMPLEONLY123456",
              "Arn": NAMES.role_arn, "CreateDate": datetime(2026, 1, 1, tzinfo=UTC)}  # fmt: skip
    return {**answer, "AssumeRolePolicyDocument": as_iam_sends(trust)} if trust else answer


def as_iam_sends(policy: dict[str, Any]) -> str:
    """IAM returns a policy document as URL-encoded JSON (boto3 then parses it)."""
    from urllib.parse import quote

    return quote(json.dumps(policy))


# -- CreateFunction while the role propagates -----------------------------------------------


def expect_get_function_missing(aws: StubbedAwsForRealAwsPath) -> None:
    aws.refuse("lambda", "get_function", "ResourceNotFoundException", "Function not found")


def expect_create_function(aws: StubbedAwsForRealAwsPath) -> None:
    environment = {"EVENTS_TABLE": "sandbox-events", "EVENTS_INDEX": "by-type",
                   "TOPIC_ARN": NAMES.topic_arn}  # fmt: skip
    aws.answer("lambda", "create_function", {"FunctionName": NAMES.function},
               {"FunctionName": NAMES.function, "Runtime": RUNTIME, "Role": NAMES.role_arn,
                "Handler": "handler.handler", "Code": ANY, "Timeout": FUNCTION_TIMEOUT,
                "MemorySize": 256, "Environment": {"Variables": environment}})  # fmt: skip


def test_create_function_is_retried_while_the_new_role_propagates(
    aws: StubbedAwsForRealAwsPath,
) -> None:
    expect_get_function_missing(aws)
    for _ in range(2):
        aws.refuse("lambda", "create_function", "InvalidParameterValueException", ROLE_NOT_READY)
    expect_create_function(aws)
    aws.answer("lambda", "get_function", {"Configuration": {"State": "Active"}},
               {"FunctionName": NAMES.function})  # fmt: skip
    sleep = SleepRecorder()
    deployer = real_deployer(sleep)
    deployer.ensure_function()
    aws.assert_all_calls_made()
    assert sleep.waits == [iam.ROLE_RETRY_SECONDS] * 2
    assert deployer.result.resources[0].action == "created"


def test_the_retry_gives_up_after_a_bounded_number_of_tries_with_a_clear_message(
    aws: StubbedAwsForRealAwsPath,
) -> None:
    expect_get_function_missing(aws)
    for _ in range(iam.ROLE_ATTEMPTS):
        aws.refuse("lambda", "create_function", "InvalidParameterValueException", ROLE_NOT_READY)
    sleep = SleepRecorder()
    with pytest.raises(AwsError) as raised:
        real_deployer(sleep).ensure_function()
    assert raised.value.message == (
        f"Lambda still cannot assume the role {NAMES.role_arn} after {iam.ROLE_ATTEMPTS} "
        "tries over 27 s"
    )
    assert "run `sandbox deploy` again in a minute" in raised.value.hint
    assert len(sleep.waits) == iam.ROLE_ATTEMPTS - 1
    aws.assert_all_calls_made()


def test_any_other_create_function_error_is_not_retried(aws: StubbedAwsForRealAwsPath) -> None:
    from botocore.exceptions import ClientError

    expect_get_function_missing(aws)
    aws.refuse("lambda", "create_function", "AccessDeniedException", "not allowed: iam:PassRole")
    sleep = SleepRecorder()
    with pytest.raises(ClientError, match="iam:PassRole"):
        real_deployer(sleep).ensure_function()
    assert sleep.waits == []


# -- the bucket and who may invoke the function ---------------------------------------------


def test_the_bucket_names_its_region_and_s3_may_invoke_the_function_before_it_notifies(
    aws: StubbedAwsForRealAwsPath,
) -> None:
    aws.answer("s3", "list_buckets", {"Buckets": []}, {})
    aws.answer("s3", "create_bucket", {},
               {"Bucket": NAMES.bucket,
                "CreateBucketConfiguration": {"LocationConstraint": REGION}})  # fmt: skip
    aws.refuse("lambda", "get_policy", "ResourceNotFoundException", "no policy")
    aws.answer("lambda", "add_permission", {"Statement": "{}"},
               {"FunctionName": NAMES.function, "StatementId": "s3-invokes",
                "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com",
                "SourceArn": f"arn:aws:s3:::{NAMES.bucket}", "SourceAccount": ACCOUNT})  # fmt: skip
    aws.answer("s3", "get_bucket_notification_configuration", {}, {"Bucket": NAMES.bucket})
    notify = {"LambdaFunctionConfigurations": [{
        "Id": "to-processor", "LambdaFunctionArn": NAMES.function_arn,
        "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
    }]}  # fmt: skip
    aws.answer("s3", "put_bucket_notification_configuration", {},
               {"Bucket": NAMES.bucket, "NotificationConfiguration": notify})  # fmt: skip
    deployer = real_deployer()
    deployer.ensure_bucket()
    aws.assert_all_calls_made()
    assert [(r.kind, r.name, r.action) for r in deployer.result.resources] == [
        ("lambda-permission", "s3-invokes", "created"),
        ("s3-bucket", NAMES.bucket, "created"),
    ]


def test_each_invoking_service_is_granted_only_its_own_source() -> None:
    grants = iam.invoke_permissions(NAMES, api_id="abc123")
    assert {sid: (g["Principal"], g["SourceArn"]) for sid, g in grants.items()} == {
        "s3-invokes": ("s3.amazonaws.com", f"arn:aws:s3:::{NAMES.bucket}"),
        "sns-invokes": ("sns.amazonaws.com", NAMES.topic_arn),
        "events-invokes-sandbox-orders": ("events.amazonaws.com",
                                          f"arn:aws:events:{REGION}:{ACCOUNT}:rule/sandbox-orders"),
        "events-invokes-sandbox-users": ("events.amazonaws.com",
                                         f"arn:aws:events:{REGION}:{ACCOUNT}:rule/sandbox-users"),
        "apigateway-invokes": ("apigateway.amazonaws.com",
                               f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/*/*/events"),
    }  # fmt: skip


def test_a_too_long_bucket_name_is_refused_before_any_call(aws: StubbedAwsForRealAwsPath) -> None:
    from sandbox.errors import ConfigError

    long_prefix = Names.for_account(ACCOUNT, "ap-southeast-2", "a-very-long-course-prefix-2026")
    deployer = Deployer(REAL_AWS, LAMBDA_DIR, long_prefix)
    with pytest.raises(ConfigError, match="longer than S3 allows"):
        deployer.run()
    assert aws.clients == {}
