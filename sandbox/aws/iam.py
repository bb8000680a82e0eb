"""What a real AWS account needs before the processor can run, and emulators do not check:
the function's execution role (trusted by Lambda, allowed only what the processor does) and
the resource-based permissions that let S3, SNS, EventBridge and API Gateway invoke it.

Both are created when missing and brought in line when they differ, so a second deploy
changes nothing. A new role takes a few seconds to reach every IAM endpoint: until then
CreateFunction answers InvalidParameterValueException "cannot be assumed", and
`retry_while_role_propagates` tries again, a bounded number of times.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from botocore.exceptions import ClientError

from sandbox.aws.clients import AwsError, error_code
from sandbox.aws.names import Names

POLICY_VERSION = "2012-10-17"
ROLE_ATTEMPTS = 10
ROLE_RETRY_SECONDS = 3.0  # 10 tries, 27 s of waiting: IAM usually propagates within ~10 s
T = TypeVar("T")


def trust_policy() -> dict[str, Any]:
    """Only the Lambda service may assume the role."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def access_policy(names: Names) -> dict[str, Any]:
    """What the processor does, on its own resources only: write its log, store and query
    events, read the orders stream and the jobs queue (its triggers), publish notifications."""
    events, orders = names.table_arn(names.events_table), names.table_arn(names.orders_table)
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            _allow("WriteItsLog", ["logs:CreateLogGroup", "logs:CreateLogStream",
                                   "logs:PutLogEvents"],
                   [names.log_group_arn, names.log_group_arn + ":*"]),
            _allow("StoreAndQueryEvents", ["dynamodb:PutItem", "dynamodb:Query"],
                   [events, events + "/index/*"]),
            _allow("ReadOrdersStream", ["dynamodb:DescribeStream", "dynamodb:GetRecords",
                                        "dynamodb:GetShardIterator"], [orders + "/stream/*"]),
            _allow("FindOrdersStream", ["dynamodb:ListStreams"], ["*"]),  # no resource level
            _allow("ConsumeJobsQueue", ["sqs:ReceiveMessage", "sqs:DeleteMessage",
                                        "sqs:GetQueueAttributes"], [names.queue_arn(names.queue)]),
            _allow("PublishNotifications", ["sns:Publish"], [names.topic_arn]),
        ],
    }  # fmt: skip


def _allow(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


# -- the execution role ---------------------------------------------------------------------


def ensure_execution_role(iam: Any, names: Names) -> str:
    """Create the role and its policy, or bring them in line; return created, updated or
    unchanged."""
    try:
        role = iam.get_role(RoleName=names.role)["Role"]
    except ClientError as err:
        if error_code(err) != "NoSuchEntity":
            raise
        iam.create_role(
            RoleName=names.role,
            AssumeRolePolicyDocument=json.dumps(trust_policy()),
            Description="The sandbox's event processor (created by `sandbox deploy`)",
        )
        _put_access_policy(iam, names)
        return "created"
    changed = False
    if _document(role.get("AssumeRolePolicyDocument")) != trust_policy():
        iam.update_assume_role_policy(
            RoleName=names.role, PolicyDocument=json.dumps(trust_policy())
        )
        changed = True
    if _current_access_policy(iam, names) != access_policy(names):
        _put_access_policy(iam, names)
        changed = True
    return "updated" if changed else "unchanged"


def _put_access_policy(iam: Any, names: Names) -> None:
    iam.put_role_policy(
        RoleName=names.role,
        PolicyName=names.role_policy,
        PolicyDocument=json.dumps(access_policy(names)),
    )


def _current_access_policy(iam: Any, names: Names) -> dict[str, Any] | None:
    try:
        answer = iam.get_role_policy(RoleName=names.role, PolicyName=names.role_policy)
    except ClientError as err:
        if error_code(err) != "NoSuchEntity":
            raise
        return None
    return _document(answer.get("PolicyDocument"))


def _document(value: Any) -> dict[str, Any] | None:
    """A policy document as IAM returns it: parsed (boto3), or URL-encoded JSON text."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        parsed = json.loads(unquote(value))
        return parsed if isinstance(parsed, dict) else None
    return None


def retry_while_role_propagates(
    call: Callable[[], T],
    role_arn: str,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = ROLE_ATTEMPTS,
) -> T:
    """`call()`, tried again while Lambda cannot assume a role IAM has not propagated yet."""
    for _ in range(attempts - 1):
        try:
            return call()
        except ClientError as err:
            if not role_not_ready(err):
                raise
        sleep(ROLE_RETRY_SECONDS)
    try:
        return call()
    except ClientError as err:
        if not role_not_ready(err):
            raise
        raise AwsError(
            f"Lambda still cannot assume the role {role_arn} after {attempts} tries "
            f"over {ROLE_RETRY_SECONDS * (attempts - 1):g} s",
            "IAM can be slow to propagate a new role: run `sandbox deploy` again in a minute; "
            "if it keeps failing, check that the role trusts lambda.amazonaws.com",
        ) from err


def role_not_ready(err: ClientError) -> bool:
    message = str(err.response.get("Error", {}).get("Message", ""))
    return error_code(err) == "InvalidParameterValueException" and "cannot be assumed" in message


# -- who may invoke the function ------------------------------------------------------------


def invoke_permissions(names: Names, api_id: str | None = None) -> dict[str, dict[str, str]]:
    """Statement id -> AddPermission arguments, one per service that invokes the function."""
    account = names.account
    wanted = {
        "s3-invokes": {"Principal": "s3.amazonaws.com", "SourceArn": names.bucket_arn,
                       "SourceAccount": account},
        "sns-invokes": {"Principal": "sns.amazonaws.com", "SourceArn": names.topic_arn},
        **{f"events-invokes-{rule}": {"Principal": "events.amazonaws.com",
                                       "SourceArn": names.rule_arn(rule)}
           for rule in names.rules},
    }  # fmt: skip
    if api_id is not None:
        wanted["apigateway-invokes"] = {
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": names.api_arn(api_id),
        }
    return wanted


def ensure_invoke_permissions(
    lam: Any, names: Names, grants: dict[str, dict[str, str]], qualifier: str | None
) -> list[str]:
    """Add each statement (id -> AddPermission arguments) to the function's policy, or its
    alias's, unless it is there; return the ids added."""
    present = _statement_ids(lam, names, qualifier)
    where = {"Qualifier": qualifier} if qualifier else {}
    # An alias's statements get their own ids: AWS keeps one policy per qualifier, but
    # ministack one per function, where the ids must differ.
    ids = {f"{sid}-{qualifier}" if qualifier else sid: grant for sid, grant in grants.items()}
    added = [statement for statement in ids if statement not in present]
    for statement in added:
        lam.add_permission(
            FunctionName=names.function,
            StatementId=statement,
            Action="lambda:InvokeFunction",
            **ids[statement],
            **where,
        )
    return added


def _statement_ids(lam: Any, names: Names, qualifier: str | None) -> set[str]:
    where = {"Qualifier": qualifier} if qualifier else {}
    try:
        policy = json.loads(lam.get_policy(FunctionName=names.function, **where)["Policy"])
    except ClientError as err:
        if error_code(err) != "ResourceNotFoundException":
            raise
        return set()
    return {str(s.get("Sid", "")) for s in policy.get("Statement", [])}
