"""An injected AWS error in the shape each protocol's clients parse, and the API's own replies.

What botocore reads (botocore/parsers.py), so the ClientError carries the rule's code and its
retry handler sees a throttle (by code) or a 5xx (by status):

- json (DynamoDB, SQS):  {"__type": code, "message": ...}; SQS, a former query service, also
  gets `x-amzn-query-error: code;Sender`, as AWS sends it.
- cbor (CloudWatch):     the same map, CBOR-encoded, with `smithy-protocol: rpc-v2-cbor`.
- query (SNS, STS, IAM): <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>.
- ec2:                   <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>.
- rest-json (Lambda):    {"message": ...} with the code in `x-amzn-ErrorType`.
- rest-xml:              S3's <Error><Code/><Message/><RequestId/></Error>; Route 53 and
                         CloudFront use the <ErrorResponse> form.

A HEAD request's error has no body (HTTP forbids one), so a client sees only the status: a
HeadObject under a fault raises ClientError "503", exactly as against AWS.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from xml.sax.saxutils import escape

from sandbox.services.chaos.asgi import Reply

JSON_TYPE = "application/x-amz-json-1.0"


@dataclass(frozen=True)
class AwsError:
    """What to answer: the rule's status and code, a message, and for whom."""

    status: int
    code: str
    message: str
    service: str
    query_compatible: bool = False
    request_id: str = ""

    @property
    def fault_type(self) -> str:
        return "Sender" if self.status < 500 else "Receiver"

    @property
    def rid(self) -> str:
        return self.request_id or str(uuid.uuid4())


def aws_error(wire: str, error: AwsError) -> Reply:
    """The reply for a request made in `wire` protocol (see `calls.Invocation.wire`)."""
    error = replace(error, request_id=error.rid)  # one id, in the header and the body
    return BUILDERS.get(wire, _rest_json)(error)


def _json(error: AwsError) -> Reply:
    body = {"__type": error.code, "message": error.message}
    return Reply(error.status, _json_headers(error, JSON_TYPE), json.dumps(body).encode())


def _cbor(error: AwsError) -> Reply:
    headers = [*_json_headers(error, "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    return Reply(error.status, headers, cbor_map({"__type": error.code, "message": error.message}))


def _json_headers(error: AwsError, content_type: str) -> list[tuple[str, str]]:
    headers = [
        ("content-type", content_type),
        ("x-amzn-requestid", error.rid),
        ("x-amzn-errortype", error.code),
    ]
    if error.query_compatible:
        headers.append(("x-amzn-query-error", f"{error.code};{error.fault_type}"))
    return headers


def _rest_json(error: AwsError) -> Reply:
    headers = [
        ("content-type", "application/json"),
        ("x-amzn-requestid", error.rid),
        ("x-amzn-errortype", error.code),
    ]
    return Reply(error.status, headers, json.dumps({"message": error.message}).encode())


def _query(error: AwsError) -> Reply:
    inner = _xml(Type=error.fault_type, Code=error.code, Message=error.message)
    body = f"<ErrorResponse><Error>{inner}</Error>{_xml(RequestId=error.rid)}</ErrorResponse>"
    return _xml_reply(error, body, "x-amzn-requestid")


def _ec2(error: AwsError) -> Reply:
    inner = _xml(Code=error.code, Message=error.message)
    body = (
        f"<Response><Errors><Error>{inner}</Error></Errors>{_xml(RequestID=error.rid)}</Response>"
    )
    return _xml_reply(error, body, "x-amzn-requestid")


def _rest_xml(error: AwsError) -> Reply:
    if error.service != "s3":
        return _query(error)  # Route 53, CloudFront: the <ErrorResponse> form
    body = f"<Error>{_xml(Code=error.code, Message=error.message, RequestId=error.rid)}</Error>"
    return _xml_reply(error, body, "x-amz-request-id")


def _xml_reply(error: AwsError, body: str, id_header: str) -> Reply:
    document = '<?xml version="1.0" encoding="UTF-8"?>\n' + body
    headers = [("content-type", "application/xml"), (id_header, error.rid)]
    return Reply(error.status, headers, document.encode())


def _xml(**elements: str) -> str:
    return "".join(f"<{tag}>{escape(text)}</{tag}>" for tag, text in elements.items())


BUILDERS: dict[str, Callable[[AwsError], Reply]] = {
    "json": _json,
    "cbor": _cbor,
    "query": _query,
    "ec2": _ec2,
    "rest-json": _rest_json,
    "rest-xml": _rest_xml,
}


def cbor_map(items: Mapping[str, str]) -> bytes:
    """A CBOR map of text to text (RFC 8949): all an error body needs, so no library."""
    return _cbor_head(5, len(items)) + b"".join(
        _cbor_text(key) + _cbor_text(value) for key, value in items.items()
    )


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    return _cbor_head(3, len(data)) + data


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    size = 1 if length < 2**8 else 2 if length < 2**16 else 4
    info = {1: 24, 2: 25, 4: 26}[size]
    return bytes([major << 5 | info]) + length.to_bytes(size, "big")


# -- the chaos API's own answers -----------------------------------------------------------


def api_json(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
    body = json.dumps(payload).encode()
    return Reply(status, [("content-type", "application/json"), *(headers or [])], body)


def api_error(status: int, error: str, message: str, **extra: str) -> Reply:
    """A 4xx/5xx of the chaos API itself: {"error": kind, "message": what to do}."""
    headers = list(extra.items())
    return api_json(status, {"error": error, "message": message}, headers)
