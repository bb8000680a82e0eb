"""Without a server: which call a request is, each protocol's error as botocore parses it, and
the fast path that hands ministack the request untouched."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore.parsers import create_parser

from sandbox.services.chaos.asgi import Message, Scope
from sandbox.services.chaos.calls import Call, Invocation, classify, credential_scope
from sandbox.services.chaos.catalog import service_info
from sandbox.services.chaos.middleware import ChaosMiddleware
from sandbox.services.chaos.responses import AwsError, aws_error

SIGNED = "AWS4-HMAC-SHA256 Credential=AKID/20260101/{region}/{service}/aws4_request, Sig=x"


def scope(method: str, path: str, query: str = "", **headers: str) -> Scope:
    raw = [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": raw,
    }


async def no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def invocation(service: str, request: Scope) -> Invocation | None:
    call = classify(request, no_body)
    assert call is not None
    return asyncio.run(call.invocation(service_info(service)))


def s3_operation(method: str, path: str, query: str = "", **headers: str) -> str | None:
    auth = SIGNED.format(region="us-east-1", service="s3")
    found = invocation("s3", scope(method, path, query, authorization=auth, **headers))
    return found.operation if found else None


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "operation"),
    [
        ("GET", "/", "", {}, "ListBuckets"),
        ("PUT", "/bucket", "", {}, "CreateBucket"),
        ("GET", "/bucket", "list-type=2", {}, "ListObjectsV2"),
        ("GET", "/bucket/", "", {}, "ListObjects"),
        ("PUT", "/bucket/a/b.txt", "", {}, "PutObject"),
        ("PUT", "/bucket/a/b.txt", "", {"x_amz_copy_source": "/bucket/c"}, "CopyObject"),
        ("PUT", "/bucket/a/b.txt", "partNumber=1&uploadId=u", {}, "UploadPart"),
        ("GET", "/bucket/a/b.txt", "acl", {}, "GetObjectAcl"),
        ("GET", "/bucket/a/b.txt", "", {}, "GetObject"),
        ("HEAD", "/bucket/a%2Fb.txt", "", {}, "HeadObject"),
        ("PUT", "/bucket", "notification", {}, "PutBucketNotificationConfiguration"),
    ],
)
def test_s3_operations_are_told_apart_by_method_path_query_and_headers(
    method: str, path: str, query: str, headers: dict[str, str], operation: str
) -> None:
    assert s3_operation(method, path, query, **headers) == operation


def test_an_s3_binding_shared_with_a_deprecated_operation_answers_to_both_names() -> None:
    auth = SIGNED.format(region="us-east-1", service="s3")
    found = invocation("s3", scope("PUT", "/bucket", "notification", authorization=auth))
    assert found is not None
    assert found.operations == ("PutBucketNotificationConfiguration", "PutBucketNotification")


def test_a_json_call_is_named_by_its_target_and_only_for_its_own_service() -> None:
    auth = SIGNED.format(region="eu-west-1", service="dynamodb")
    request = scope("POST", "/", authorization=auth, x_amz_target="DynamoDB_20120810.PutItem")
    found = invocation("dynamodb", request)
    assert found is not None
    assert (found.operation, found.wire) == ("PutItem", "json")
    assert invocation("dynamodbstreams", request) is None  # same signing name, other prefix


def test_a_query_call_is_named_by_the_action_in_its_form_body() -> None:
    auth = SIGNED.format(region="us-east-1", service="sns")
    body = b"Action=Publish&Version=2010-03-31&TopicArn=arn"
    request = scope(
        "POST",
        "/",
        authorization=auth,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )

    async def form() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def classify_and_replay() -> tuple[Invocation | None, Message]:
        call = classify(request, form)
        assert isinstance(call, Call)
        found = await call.invocation(service_info("sns"))
        return found, await call.receive()  # ministack still gets the whole body

    found, replayed = asyncio.run(classify_and_replay())
    assert found is not None
    assert (found.operation, found.wire) == ("Publish", "query")
    assert replayed["body"] == body


def test_a_request_without_a_credential_scope_is_no_aws_call() -> None:
    assert classify(scope("GET", "/_localstack/health"), no_body) is None
    assert classify(scope("POST", "/restapis/abc/dev/_user_request_/events"), no_body) is None


def test_a_presigned_url_carries_its_region_and_service() -> None:
    query = {"X-Amz-Credential": ["AKID/20260101/ap-south-1/s3/aws4_request"]}
    assert credential_scope("", query) == ("ap-south-1", "s3")


ERROR_CASES = [
    ("json", "json", "dynamodb", False),
    ("json", "json", "sqs", True),
    ("smithy-rpc-v2-cbor", "cbor", "cloudwatch", True),
    ("query", "query", "sns", False),
    ("ec2", "ec2", "ec2", False),
    ("rest-json", "rest-json", "lambda", False),
    ("rest-xml", "rest-xml", "s3", False),
    ("rest-xml", "rest-xml", "route53", False),
]


@pytest.mark.parametrize(("protocol", "wire", "service", "query_compatible"), ERROR_CASES)
def test_botocore_parses_each_injected_error_into_its_code_and_message(
    protocol: str, wire: str, service: str, query_compatible: bool
) -> None:
    error = AwsError(400, "ThrottlingException", "slow down", service, query_compatible)
    reply = aws_error(wire, error)
    response: dict[str, Any] = {
        "status_code": reply.status,
        "headers": dict(reply.headers),
        "body": reply.body,
    }
    parser: Any = create_parser(protocol)  # the stubs want a Shape; an error parses without
    parsed = parser.parse(response, None)
    assert parsed["Error"]["Code"] == "ThrottlingException"
    assert parsed["Error"]["Message"] == "slow down"


def test_with_nothing_in_force_ministack_gets_the_very_same_receive_and_send() -> None:
    seen: list[tuple[object, object]] = []

    async def ministack(scope: Scope, receive: Any, send: Any) -> None:
        seen.append((receive, send))

    async def send(message: Message) -> None:
        return None

    auth = SIGNED.format(region="us-east-1", service="dynamodb")
    asyncio.run(ChaosMiddleware(ministack)(scope("POST", "/", authorization=auth), no_body, send))
    assert seen == [(no_body, send)]
