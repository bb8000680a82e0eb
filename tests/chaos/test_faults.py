"""boto3 parses every injected error into the configured ClientError, in every protocol, and
its retry modes ride out throttling; rules touch only the calls they select."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.services.chaos.client import ChaosClient
from tests.chaos.conftest import boto

THROTTLE = {"statusCode": 400, "code": "ThrottlingException"}
STANDARD_RETRIES = {"mode": "standard", "max_attempts": 10}  # retries, after the first attempt
RETRIED_PUTS = 20
UNRETRIED_PUTS = 40


def put(ddb: Any, table: str) -> dict[str, Any]:
    item = {"order_id": {"S": uuid.uuid4().hex}}
    answer: dict[str, Any] = ddb.put_item(TableName=table, Item=item)
    return answer


def error_of(call: Callable[[], object]) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_rule_with_probability_1_fails_the_call_with_its_code_and_status(
    chaos: ChaosClient, endpoint: str, table: str
) -> None:
    chaos.set_faults(
        [{"service": "dynamodb", "operation": "PutItem", "probability": 1, "error": THROTTLE}]
    )
    ddb = boto("dynamodb", endpoint)
    assert error_of(lambda: put(ddb, table)) == ("ThrottlingException", 400)


def test_the_default_error_is_503_service_unavailable(
    chaos: ChaosClient, endpoint: str, table: str
) -> None:
    chaos.set_faults([{"service": "dynamodb"}])
    ddb = boto("dynamodb", endpoint)
    assert error_of(lambda: ddb.describe_table(TableName=table)) == ("ServiceUnavailable", 503)


def test_standard_retries_ride_out_throttling(
    chaos: ChaosClient, endpoint: str, table: str
) -> None:
    chaos.set_faults(
        [{"service": "dynamodb", "operation": "PutItem", "probability": 0.3, "error": THROTTLE}]
    )
    ddb = boto("dynamodb", endpoint, retries=STANDARD_RETRIES)
    answers = [put(ddb, table) for _ in range(RETRIED_PUTS)]  # none raises
    retried = sum(answer["ResponseMetadata"]["RetryAttempts"] for answer in answers)
    assert retried > 0  # the rule did throttle some attempts; P(none) = 0.7**20, ~0.08 %


def test_without_retries_some_calls_fail_and_some_pass(
    chaos: ChaosClient, endpoint: str, table: str
) -> None:
    chaos.set_faults(
        [{"service": "dynamodb", "operation": "PutItem", "probability": 0.3, "error": THROTTLE}]
    )
    ddb = boto("dynamodb", endpoint)  # total_max_attempts 1: no retry
    codes = []
    for _ in range(UNRETRIED_PUTS):
        try:
            put(ddb, table)
            codes.append("ok")
        except ClientError as err:
            codes.append(err.response["Error"]["Code"])
    assert set(codes) == {"ok", "ThrottlingException"}  # P(all one kind) < 1e-6


def test_a_rule_for_one_region_leaves_the_others_alone(chaos: ChaosClient, endpoint: str) -> None:
    chaos.set_faults([{"service": "dynamodb", "region": "us-west-2"}])
    boto("dynamodb", endpoint, region="us-east-1").list_tables()
    assert error_of(boto("dynamodb", endpoint, region="us-west-2").list_tables)[0] == (
        "ServiceUnavailable"
    )


def test_a_rule_for_one_operation_leaves_the_others_alone(
    chaos: ChaosClient, endpoint: str, table: str
) -> None:
    chaos.set_faults([{"service": "dynamodb", "operation": "PutItem"}])
    ddb = boto("dynamodb", endpoint)
    ddb.describe_table(TableName=table)
    ddb.get_item(TableName=table, Key={"order_id": {"S": "absent"}})
    assert error_of(lambda: put(ddb, table))[0] == "ServiceUnavailable"


def test_a_dynamodb_rule_does_not_touch_dynamodb_streams(chaos: ChaosClient, endpoint: str) -> None:
    chaos.set_faults([{"service": "dynamodb"}])  # both sign their requests as "dynamodb"
    boto("dynamodbstreams", endpoint).list_streams()
    assert error_of(boto("dynamodb", endpoint).list_tables)[0] == "ServiceUnavailable"


def test_the_first_rule_that_selects_a_call_decides(
    chaos: ChaosClient, endpoint: str, table: str
) -> None:
    chaos.set_faults(
        [
            {"service": "dynamodb", "operation": "PutItem", "probability": 0},
            {"service": "dynamodb", "error": THROTTLE},
        ]
    )
    ddb = boto("dynamodb", endpoint)
    put(ddb, table)  # rule 1 selects it and never fires; rule 2 is not consulted
    assert error_of(lambda: ddb.describe_table(TableName=table))[0] == "ThrottlingException"


# -- each protocol's error shape -------------------------------------------------------------


def test_sqs_json_protocol_error(chaos: ChaosClient, endpoint: str) -> None:
    chaos.set_faults([{"service": "sqs", "operation": "SendMessage", "error": THROTTLE}])
    sqs = boto("sqs", endpoint)
    url = sqs.create_queue(QueueName="chaos-queue")["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="hello")
    error = caught.value.response["Error"]
    assert (error["Code"], error["Type"]) == ("ThrottlingException", "Sender")


def test_sns_query_protocol_error(chaos: ChaosClient, endpoint: str) -> None:
    sns = boto("sns", endpoint)
    topic = sns.create_topic(Name="chaos-topic")["TopicArn"]
    chaos.set_faults(
        [
            {
                "service": "sns",
                "operation": "Publish",
                "error": {"statusCode": 400, "code": "Throttling"},
            }
        ]
    )
    sns.list_topics()  # the Action is read from the form body: ListTopics is not Publish
    assert error_of(lambda: sns.publish(TopicArn=topic, Message="hi")) == ("Throttling", 400)


def test_s3_rest_xml_error(chaos: ChaosClient, endpoint: str) -> None:
    s3 = boto("s3", endpoint)
    s3.create_bucket(Bucket="chaos-bucket")
    s3.put_object(Bucket="chaos-bucket", Key="kept/one.txt", Body=b"1")
    chaos.set_faults([{"service": "s3", "operation": "PutObject", "error": {"code": "SlowDown"}}])
    failed = error_of(lambda: s3.put_object(Bucket="chaos-bucket", Key="new.txt", Body=b"2"))
    assert failed == ("SlowDown", 503)
    assert s3.get_object(Bucket="chaos-bucket", Key="kept/one.txt")["Body"].read() == b"1"
    s3.copy_object(
        Bucket="chaos-bucket",
        Key="copy.txt",
        CopySource={"Bucket": "chaos-bucket", "Key": "kept/one.txt"},
    )


def test_a_head_request_gets_the_status_alone(chaos: ChaosClient, endpoint: str) -> None:
    s3 = boto("s3", endpoint)
    s3.create_bucket(Bucket="chaos-head")
    chaos.set_faults([{"service": "s3", "operation": "HeadBucket"}])
    assert error_of(lambda: s3.head_bucket(Bucket="chaos-head")) == ("503", 503)


def test_lambda_rest_json_error(chaos: ChaosClient, endpoint: str) -> None:
    chaos.set_faults(
        [{"service": "lambda", "error": {"statusCode": 429, "code": "TooManyRequestsException"}}]
    )
    assert error_of(boto("lambda", endpoint).list_functions) == ("TooManyRequestsException", 429)


def test_cloudwatch_cbor_error(chaos: ChaosClient, endpoint: str) -> None:
    chaos.set_faults([{"service": "cloudwatch", "operation": "PutMetricData"}])
    cloudwatch = boto("cloudwatch", endpoint)
    data = [{"MetricName": "chaos", "Value": 1.0}]
    failed = error_of(lambda: cloudwatch.put_metric_data(Namespace="sandbox", MetricData=data))
    assert failed == ("ServiceUnavailable", 503)
