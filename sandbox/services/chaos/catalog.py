"""What botocore's models say about a service: how its requests name it, and its operations.

Rules name a service as boto3 does (`boto3.client("dynamodb")`). A request names it only by
its SigV4 signing name (`Credential=.../us-east-1/dynamodb/aws4_request`), and several services
share one: dynamodb and dynamodbstreams, s3 and s3control, apigateway and apigatewayv2. The
model tells them apart: the X-Amz-Target prefix for the JSON and CBOR protocols, the operation
names for the query protocols, the URI templates for the REST protocols (`Route`).

botocore is imported here lazily, and a model is read once per service named by a rule: the
emulator pays for it when a rule is set, never on a request.
"""

from __future__ import annotations

import difflib
import functools
import re
import threading
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

QUERY_PROTOCOLS = ("query", "ec2")
# Rules are checked in worker threads (api.py); botocore's session is not meant to be shared
# between threads, so its loads take turns.
BOTOCORE = threading.Lock()
LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class Route:
    """One REST operation's HTTP binding, from the model's `requestUri` and input shape."""

    operation: str
    method: str
    path: re.Pattern[str]
    query: tuple[tuple[str, str | None], ...]  # the template's own: `?uploads`, `?list-type=2`
    required_query: tuple[str, ...]  # required input members sent in the query string
    required_headers: tuple[str, ...]  # ... and in headers (CopyObject's x-amz-copy-source)
    literal: int  # characters of the path template that are not labels
    deprecated: bool  # S3's PutBucketNotification: same binding as its successor

    def matches(
        self, method: str, path: str, query: Mapping[str, Sequence[str]], headers: AbstractSet[str]
    ) -> bool:
        return (
            method == self.method
            and self.path.fullmatch(path) is not None
            and all(
                key in query and (value is None or value in query[key]) for key, value in self.query
            )
            and all(key in query for key in self.required_query)
            and all(name in headers for name in self.required_headers)
        )

    @property
    def weight(self) -> tuple[int, int, int]:
        """Among several matches the most specific wins: GetObjectAcl (`?acl`) over GetObject,
        UploadPart (`?partNumber&uploadId`) and CopyObject (a header) over PutObject."""
        return (
            len(self.query) + len(self.required_query),
            len(self.required_headers),
            self.literal,
        )


@dataclass(frozen=True)
class ServiceInfo:
    name: str  # boto3's name for it
    signing_name: str  # what a request's credential scope says
    protocol: str  # the protocol botocore speaks to it: json, query, rest-xml, ...
    target_prefix: str  # X-Amz-Target prefix (JSON), service path part (CBOR); '' otherwise
    query_compatible: bool  # a JSON service that was a query one (SQS): errors say both codes
    operations: frozenset[str]
    routes: tuple[Route, ...]

    def rest_operations(
        self, method: str, path: str, query: Mapping[str, Sequence[str]], headers: AbstractSet[str]
    ) -> tuple[str, ...]:
        """The operation(s) a REST request invokes: the most specific binding, and any other
        operation bound the same way (a deprecated name first seen last); () when it is none
        of this service's."""
        found = [route for route in self.routes if route.matches(method, path, query, headers)]
        if not found:
            return ()
        best = max(route.weight for route in found)
        tied = sorted((route for route in found if route.weight == best), key=_deprecated_last)
        return tuple(route.operation for route in tied)

    def suggest_operation(self, name: str) -> list[str]:
        return suggest(name, sorted(self.operations))


@functools.cache
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def service_names() -> frozenset[str]:
    with BOTOCORE:
        return frozenset(_session().get_available_services())


def suggest(name: str, choices: Sequence[str]) -> list[str]:
    """The closest few of `choices`, a case-insensitive exact match first."""
    exact = [choice for choice in choices if choice.lower() == name.lower()]
    return exact or difflib.get_close_matches(name, choices, n=3, cutoff=0.6)


@functools.cache
def service_info(name: str) -> ServiceInfo:
    """What the model of `name` (one of `service_names()`) says."""
    with BOTOCORE:
        return _read_model(name)


def _read_model(name: str) -> ServiceInfo:
    model = _session().get_service_model(name)
    metadata = model.metadata
    protocol = str(model.protocol)
    operations = [model.operation_model(op) for op in model.operation_names]
    rest = protocol.startswith("rest-")
    return ServiceInfo(
        name=name,
        signing_name=str(model.signing_name),
        protocol=protocol,
        target_prefix=str(metadata.get("targetPrefix", "")),
        query_compatible="awsQueryCompatible" in metadata,
        operations=frozenset(model.operation_names),
        routes=tuple(route(op) for op in operations) if rest else (),
    )


def _deprecated_last(route: Route) -> tuple[bool, str]:
    return route.deprecated, route.operation


def route(operation: Any) -> Route:
    """The Route of a botocore OperationModel."""
    template, _, query = str(operation.http["requestUri"]).partition("?")
    pattern, literal = path_pattern(template)
    required = _required_members(operation.input_shape)
    return Route(
        operation=str(operation.name),
        method=str(operation.http["method"]),
        path=pattern,
        query=tuple(_literal_query(query)),
        required_query=tuple(required.get("querystring", ())),
        required_headers=tuple(name.lower() for name in required.get("header", ())),
        literal=literal,
        deprecated=bool(operation.deprecated),
    )


def path_pattern(template: str) -> tuple[re.Pattern[str], int]:
    """`/{Bucket}/{Key+}` -> a regex (a `+` label spans slashes), and its literal length.
    A trailing slash is optional either way: clients differ on it."""
    template = template.rstrip("/")
    parts, literal, position = [], 0, 0
    for label in LABEL.finditer(template):
        text = template[position : label.start()]
        parts += [re.escape(text), ".+" if label.group(1).endswith("+") else "[^/]+"]
        literal += len(text)
        position = label.end()
    tail = template[position:]
    parts.append(re.escape(tail))
    return re.compile("".join(parts) + "/?"), literal + len(tail)


def _literal_query(query: str) -> list[tuple[str, str | None]]:
    pairs = [item.partition("=") for item in query.split("&") if item]
    return [(key, value if sep else None) for key, sep, value in pairs]


def _required_members(shape: Any) -> dict[str, list[str]]:
    """Serialized names of the required input members, by where they go (header, querystring)."""
    found: dict[str, list[str]] = {}
    if shape is None:
        return found
    for member in shape.required_members:
        serialization = shape.members[member].serialization
        location = serialization.get("location")
        if location in ("header", "querystring"):
            found.setdefault(location, []).append(serialization.get("name", member))
    return found
