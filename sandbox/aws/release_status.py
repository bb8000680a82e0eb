"""`sandbox release status`: the published versions, their code hashes, where `live` points,
and what each trigger runs ("live", "$LATEST" after a plain deploy, or "not wired")."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from sandbox.aws.clients import client, error_code, translated
from sandbox.aws.names import Names
from sandbox.aws.release import all_versions, history_of, live_alias
from sandbox.aws.triggers import qualifier_of, unqualified
from sandbox.errors import ReleaseError

NOT_WIRED = "not wired"


@dataclass
class Version:
    version: str
    code_sha256: str
    last_modified: str
    description: str
    live: bool


@dataclass
class ReleaseStatus:
    function: str
    live: str | None
    history: list[str]
    latest_code_sha256: str
    versions: list[Version] = field(default_factory=list)
    triggers: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def release_status(endpoint: str, names: Names | None = None) -> ReleaseStatus:
    names = names or Names()
    with translated("read the function's versions", endpoint):
        lam = client("lambda", endpoint)
        try:
            versions = all_versions(lam, names)
        except ClientError as err:
            if error_code(err) != "ResourceNotFoundException":
                raise
            raise ReleaseError(
                f"{names.function} is not deployed", "run `sandbox deploy --publish`"
            ) from None
        alias = live_alias(lam, names)
        live = str(alias["FunctionVersion"]) if alias else None
        triggers = Triggers(endpoint, names).targets()
    latest = next((v for v in versions if v["Version"] == "$LATEST"), {})
    return ReleaseStatus(
        function=names.function,
        live=live,
        history=history_of(alias) if alias else [],
        latest_code_sha256=str(latest.get("CodeSha256", "")),
        versions=[_version(v, live) for v in versions if v["Version"] != "$LATEST"],
        triggers=triggers,
    )


def _version(config: dict[str, Any], live: str | None) -> Version:
    number = str(config["Version"])
    return Version(number, str(config.get("CodeSha256", "")), str(config.get("LastModified", "")),
                   str(config.get("Description", "")), number == live)  # fmt: skip


class Triggers:
    """What each event source invokes: a qualifier of our function, or NOT_WIRED."""

    def __init__(self, endpoint: str, names: Names) -> None:
        self.endpoint, self.names = endpoint, names

    def aws(self, service: str) -> Any:
        return client(service, self.endpoint)

    def targets(self) -> dict[str, str]:
        readers = {"s3": self._s3, "sqs": self._sqs, "sns": self._sns,
                   "eventbridge": self._eventbridge, "dynamodb": self._dynamodb,
                   "api": self._api}  # fmt: skip
        return {source: self._read(reader) for source, reader in readers.items()}

    def _read(self, reader: Any) -> str:
        try:
            arns = [arn for arn in reader() if unqualified(arn) == self.names.function_arn]
        except ClientError:
            return NOT_WIRED  # the resource is missing: the source is not wired
        return ", ".join(sorted({qualifier_of(arn) for arn in arns})) or NOT_WIRED

    def _s3(self) -> list[str]:
        config = self.aws("s3").get_bucket_notification_configuration(Bucket=self.names.bucket)
        return [
            c.get("LambdaFunctionArn", "") for c in config.get("LambdaFunctionConfigurations", [])
        ]

    def _mapped(self, source_arn: str) -> list[str]:
        answer = self.aws("lambda").list_event_source_mappings(EventSourceArn=source_arn)
        return [str(m.get("FunctionArn", "")) for m in answer["EventSourceMappings"]]

    def _sqs(self) -> list[str]:
        return self._mapped(self.names.queue_arn(self.names.queue))

    def _dynamodb(self) -> list[str]:
        table = self.aws("dynamodb").describe_table(TableName=self.names.orders_table)["Table"]
        return self._mapped(table["LatestStreamArn"])

    def _sns(self) -> list[str]:
        subs = self.aws("sns").list_subscriptions_by_topic(TopicArn=self.names.topic_arn)
        return [s.get("Endpoint", "") for s in subs["Subscriptions"]]

    def _eventbridge(self) -> list[str]:
        events = self.aws("events")
        return [t.get("Arn", "") for rule in self.names.rules
                for t in events.list_targets_by_rule(Rule=rule)["Targets"]]  # fmt: skip

    def _api(self) -> list[str]:
        api = self.aws("apigateway")
        ids = [i["id"] for i in api.get_rest_apis(limit=500).get("items", [])
               if i["name"] == self.names.api]  # fmt: skip
        if not ids:
            return []
        resources = api.get_resources(restApiId=ids[0], limit=500)["items"]
        events = [r["id"] for r in resources if r.get("path") == "/events"]
        uris = [api.get_integration(restApiId=ids[0], resourceId=events[0], httpMethod=method)
                .get("uri", "") for method in ("GET", "POST")] if events else []  # fmt: skip
        # arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations
        return [uri.partition("/functions/")[2].removesuffix("/invocations") for uri in uris]
