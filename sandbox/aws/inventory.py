"""What is deployed, read from the emulator itself: the processor function and every trigger
that invokes it, whoever created them (`sandbox deploy`, the TUI, a lab, a run before a
restart). Read-only; a source the emulator does not have is simply not listed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from sandbox.aws.clients import client, error_code, translated
from sandbox.aws.deploy import Resource, stage_url
from sandbox.aws.names import Names

FOUND = "found"  # the `action` of what the inventory lists (deploy says created/unchanged)


@dataclass(frozen=True)
class Deployment:
    function: Resource | None  # None: the function is not deployed
    triggers: tuple[Resource, ...] = ()
    stage_url: str = ""  # the REST API's stage, when one proxies to the function

    @property
    def resources(self) -> list[Resource]:
        return ([self.function] if self.function else []) + list(self.triggers)

    @property
    def sources(self) -> list[str]:
        """The event sources wired to the function: s3, sqs, sns, eventbridge, ..."""
        return sorted({t.kind.split()[0] for t in self.triggers})

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployed": self.function is not None,
            "stage_url": self.stage_url,
            "resources": [r.__dict__ for r in self.resources],
        }


@dataclass
class _Reader:
    endpoint: str
    names: Names
    arn: str = field(init=False)

    def __post_init__(self) -> None:
        self.arn = self.names.function_arn

    def aws(self, service: str) -> Any:
        return client(service, self.endpoint)


def deployment(endpoint: str, names: Names | None = None) -> Deployment:
    reader = _Reader(endpoint, names or Names())
    with translated("read what is deployed", endpoint):
        function = _function(reader)
        if function is None:
            return Deployment(None)
        triggers = [t for read in READERS for t in read(reader)]
        proxies = list(_proxies(reader))
        triggers += [
            Resource("api trigger", name, FOUND, f"{method} {path}")
            for _, name, path, method in proxies
        ]
        return Deployment(function, tuple(triggers), _stage(reader, proxies))


def _function(r: _Reader) -> Resource | None:
    try:
        config = r.aws("lambda").get_function(FunctionName=r.names.function)["Configuration"]
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return None
        raise
    detail = f"{config.get('Runtime', '?')}, code {str(config.get('CodeSha256', ''))[:12]}"
    return Resource("function", r.names.function, FOUND, detail)


def _mappings(r: _Reader) -> Iterator[Resource]:
    """SQS queues and DynamoDB streams: the function's event source mappings."""
    answer = r.aws("lambda").list_event_source_mappings(FunctionName=r.names.function)
    for mapping in answer.get("EventSourceMappings", []):
        arn = str(mapping.get("EventSourceArn", ""))
        state = str(mapping.get("State", ""))
        if ":sqs:" in arn:
            yield Resource("sqs trigger", arn.rsplit(":", 1)[1], FOUND, state)
        elif ":dynamodb:" in arn:
            yield Resource("dynamodb trigger", arn.split(":table/")[1].split("/")[0], FOUND, state)


def _buckets(r: _Reader) -> Iterator[Resource]:
    s3 = r.aws("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        config = s3.get_bucket_notification_configuration(Bucket=bucket["Name"])
        for target in config.get("LambdaFunctionConfigurations", []):
            if target.get("LambdaFunctionArn") == r.arn:
                events = ", ".join(target.get("Events", []))
                yield Resource("s3 trigger", bucket["Name"], FOUND, events)


def _subscriptions(r: _Reader) -> Iterator[Resource]:
    for sub in r.aws("sns").list_subscriptions().get("Subscriptions", []):
        if sub.get("Protocol") == "lambda" and sub.get("Endpoint") == r.arn:
            yield Resource("sns trigger", str(sub["TopicArn"]).rsplit(":", 1)[1], FOUND)


def _rules(r: _Reader) -> Iterator[Resource]:
    events = r.aws("events")
    for rule in events.list_rules().get("Rules", []):
        targets = events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])
        if any(t.get("Arn") == r.arn for t in targets):
            yield Resource("eventbridge trigger", rule["Name"], FOUND, rule.get("EventPattern", ""))


def _proxies(r: _Reader) -> Iterator[tuple[str, str, str, str]]:
    """(api id, api name, path, method) of every REST API method proxying to the function."""
    api = r.aws("apigateway")
    for item in api.get_rest_apis(limit=500).get("items", []):
        for resource in api.get_resources(restApiId=item["id"], limit=500).get("items", []):
            for method in resource.get("resourceMethods", {}) or {}:
                if r.arn in _integration_uri(api, item["id"], resource["id"], method):
                    yield item["id"], item["name"], resource.get("path", ""), method


def _integration_uri(api: Any, api_id: str, resource_id: str, method: str) -> str:
    try:
        answer = api.get_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method)
    except ClientError:
        return ""
    return str(answer.get("uri", ""))


def _stage(r: _Reader, proxies: list[tuple[str, str, str, str]]) -> str:
    for api_id, _, _, _ in proxies[:1]:
        stages = r.aws("apigateway").get_stages(restApiId=api_id).get("item", [])
        if stages:
            return stage_url(r.endpoint, api_id, stages[0]["stageName"])
    return ""


READERS: tuple[Callable[[_Reader], Iterator[Resource]], ...] = (
    _buckets,
    _mappings,
    _subscriptions,
    _rules,
)
