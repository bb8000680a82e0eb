"""Which AWS call a request is: its service, region and operation, per protocol.

- every protocol: the SigV4 credential scope (`Credential=AKID/date/REGION/SERVICE/aws4_request`,
  in the Authorization header or a presigned URL's X-Amz-Credential) gives the region and the
  service's signing name. A request without one is not an AWS API call (a health probe, an API
  Gateway stage URL, a Lambda function URL) and no rule touches it.
- JSON protocols (DynamoDB, SQS, EventBridge): `X-Amz-Target: DynamoDB_20120810.PutItem`.
- CBOR (CloudWatch): `smithy-protocol: rpc-v2-cbor`, path `/service/<prefix>/operation/<Op>`.
- query protocols (SNS, STS, IAM, EC2): the `Action` field, in the URL or the form body.
- REST protocols (S3, Lambda, API Gateway): the method, path and query matched against the
  model's URI templates; a virtual-hosted S3 bucket is put back into the path first.

ministack's own router (`ministack.core.router.detect_service`) answers a different question:
which of *its* handlers serves a request ("monitoring", "documentdb"), with ~700 lines of
heuristics. Rules name services as boto3 does, so the match here uses botocore's models
(`catalog`) and borrows only ministack's virtual-host bucket parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from sandbox.services.chaos.asgi import Receive, Scope, joined, read_body, replay
from sandbox.services.chaos.catalog import QUERY_PROTOCOLS, ServiceInfo

CREDENTIAL = re.compile(r"Credential=[^/\s,]+/\d{8}/([^/\s,]+)/([^/\s,]+)/aws4_request")
CBOR_PATH = re.compile(r"/service/([^/]+)/operation/([^/]+)")
IPV4_HOST = re.compile(r"\d{1,3}(\.\d{1,3}){3}(:\d+)?")
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Invocation:
    """A request recognised as a call to `service`, sent in `wire` format."""

    service: ServiceInfo
    operations: tuple[str, ...]  # one, or a REST binding's successor and its deprecated name
    wire: str  # the protocol the request used, so the error goes back in the same one

    @property
    def operation(self) -> str:
        return self.operations[0]


@dataclass
class Call:
    """A signed request, classified lazily: only as far as the rules in force need."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    host: str
    signing_name: str
    region: str
    receive: Receive  # replaced by a replay once the form body has been read
    _form: dict[str, list[str]] | None = field(default=None, init=False)
    _seen: dict[str, Invocation | None] = field(default_factory=dict, init=False)

    async def invocation(self, service: ServiceInfo) -> Invocation | None:
        """What this request calls on `service`, or None when it is not a call to it."""
        if service.name not in self._seen:
            self._seen[service.name] = await self._classify(service)
        return self._seen[service.name]

    async def _classify(self, service: ServiceInfo) -> Invocation | None:
        if self.signing_name != service.signing_name:
            return None
        if "x-amz-target" in self.headers:
            return self._by_target(service)
        if self.headers.get("smithy-protocol") == "rpc-v2-cbor":
            return self._by_cbor_path(service)
        action = await self.action()
        if action:
            wire = "ec2" if service.protocol == "ec2" else "query"
            return Invocation(service, (action,), wire) if action in service.operations else None
        return self._by_route(service)

    def _by_target(self, service: ServiceInfo) -> Invocation | None:
        prefix, _, operation = self.headers["x-amz-target"].partition(".")
        return (
            Invocation(service, (operation,), "json") if prefix == service.target_prefix else None
        )

    def _by_cbor_path(self, service: ServiceInfo) -> Invocation | None:
        match = CBOR_PATH.fullmatch(self.path)
        if match is None or match.group(1) != service.target_prefix:
            return None
        return Invocation(service, (match.group(2),), "cbor")

    def _by_route(self, service: ServiceInfo) -> Invocation | None:
        if service.protocol in QUERY_PROTOCOLS:
            return None  # a query-protocol call always names its Action
        path = self.path
        bucket = vhost_bucket(self.host) if service.name == "s3" else None
        if bucket:
            path = f"/{bucket}{path}"
        found = service.rest_operations(self.method, path, self.query, self.headers.keys())
        return Invocation(service, found, service.protocol) if found else None

    async def action(self) -> str:
        """The query protocol's Action: in the URL, else in a form body (read once, then
        replayed to ministack)."""
        if "Action" in self.query:
            return self.query["Action"][0]
        if self.method != "POST" or not self.headers.get("content-type", "").startswith(FORM):
            return ""
        if self._form is None:
            # Whole, as ministack reads it anyway; a query API's body is small (SNS: 256 KiB).
            messages = await read_body(self.receive)
            self.receive = replay(messages, self.receive)
            self._form = parse_qs(joined(messages).decode("utf-8", "replace"))
        return self._form.get("Action", [""])[0]


def classify(scope: Scope, receive: Receive) -> Call | None:
    """The Call a request is, or None when it carries no SigV4 credential scope."""
    headers = _headers(scope)
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    scoped = credential_scope(headers.get("authorization", ""), query)
    if scoped is None:
        return None
    region, signing_name = scoped
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return Call(
        method=scope["method"],
        path=raw_path.decode("latin-1").partition("?")[0],
        query=query,
        headers=headers,
        host=headers.get("host", ""),
        signing_name=signing_name,
        region=region,
        receive=receive,
    )


def credential_scope(authorization: str, query: dict[str, list[str]]) -> tuple[str, str] | None:
    """(region, signing name) from a SigV4 Authorization header or presigned URL."""
    match = CREDENTIAL.search(authorization)
    if match:
        return match.group(1), match.group(2)
    parts = query.get("X-Amz-Credential", [""])[0].split("/")
    if len(parts) == 5 and parts[4] == "aws4_request" and parts[2] and parts[3]:
        return parts[2], parts[3]
    return None


def _headers(scope: Scope) -> dict[str, str]:
    # ASGI servers send header names in lower case already.
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def vhost_bucket(host: str) -> str | None:
    """The bucket of a virtual-hosted-style S3 request (`bucket.localhost:4566`), as ministack
    itself reads it; None for path style (every request to 127.0.0.1 is)."""
    if IPV4_HOST.fullmatch(host) or "." not in host:
        return None  # the common case, answered without importing ministack
    try:
        from ministack.app import _extract_s3_vhost_bucket
    except ImportError:  # outside the emulator, or a ministack that renamed it: path style only
        return None
    bucket = _extract_s3_vhost_bucket(host)
    return str(bucket) if bucket else None
