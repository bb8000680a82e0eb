"""Deploy the event processor and wire every event source to it, idempotently.

Each `ensure_*` step creates what is missing and leaves what exists alone, so a second
deploy changes nothing but the function's code (and only when the code changed).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sandbox.aws import package
from sandbox.aws.clients import client, error_code, translated
from sandbox.aws.names import REGION, Names
from sandbox.services import aws as emulator

RUNTIME = "python3.12"
FUNCTION_TIMEOUT = 5
QUEUE_VISIBILITY = 5  # >= the function timeout, as AWS requires for an SQS trigger
MAX_RECEIVE_COUNT = 2  # a poison message reaches the DLQ after this many failed deliveries
STREAM_TRIGGER = "dynamodb-stream-trigger"


@dataclass
class Resource:
    kind: str
    name: str
    action: str  # created | updated | unchanged
    detail: str = ""


@dataclass
class DeployResult:
    resources: list[Resource] = field(default_factory=list)
    stage_url: str = ""
    code_sha256: str = ""

    @property
    def changed(self) -> list[Resource]:
        return [r for r in self.resources if r.action != "unchanged"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage_url": self.stage_url,
            "code_sha256": self.code_sha256,
            "resources": [asdict(r) for r in self.resources],
        }


class Deployer:
    def __init__(self, endpoint: str, source: Path, names: Names | None = None) -> None:
        self.endpoint = endpoint
        self.source = source
        self.names = names or Names()
        self.result = DeployResult()

    def aws(self, service: str) -> Any:
        return client(service, self.endpoint)

    def note(self, kind: str, name: str, action: str, detail: str = "") -> None:
        self.result.resources.append(Resource(kind, name, action, detail))

    def run(self) -> DeployResult:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("create the events table", self.ensure_events_table),
            ("create the orders table", self.ensure_orders_table),
            ("create the SNS topic", self.ensure_topic),
            ("deploy the function", self.ensure_function),
            ("wire the S3 bucket", self.ensure_bucket),
            ("wire the SQS queue", self.ensure_queues),
            ("subscribe to the topic", self.ensure_subscription),
            ("wire the EventBridge rules", self.ensure_rules),
            ("wire the DynamoDB stream", self.ensure_stream_mapping),
            ("create the REST API", self.ensure_api),
        ]
        for action, step in steps:
            with translated(action, self.endpoint):
                step()
        return self.result

    # -- tables ---------------------------------------------------------------------------

    def ensure_events_table(self) -> None:
        n = self.names
        index = {
            "IndexName": n.events_index,
            "KeySchema": [
                {"AttributeName": "event_type", "KeyType": "HASH"},
                {"AttributeName": "timestamp", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        self._ensure_table(
            n.events_table,
            key="event_id",
            attributes={"event_id": "S", "event_type": "S", "timestamp": "S"},
            GlobalSecondaryIndexes=[index],
        )

    def ensure_orders_table(self) -> None:
        stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        self._ensure_table(
            self.names.orders_table, key="order_id", attributes={"order_id": "S"},
            StreamSpecification=stream,
        )  # fmt: skip

    def _ensure_table(self, name: str, key: str, attributes: dict[str, str], **extra: Any) -> None:
        ddb = self.aws("dynamodb")
        try:
            ddb.describe_table(TableName=name)
            self.note("dynamodb-table", name, "unchanged")
            return
        except ClientError as err:
            if error_code(err) != "ResourceNotFoundException":
                raise
        ddb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": a, "AttributeType": t} for a, t in attributes.items()
            ],
            **extra,
        )
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
        self.note("dynamodb-table", name, "created")

    # -- the function ---------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        n = self.names
        return {"EVENTS_TABLE": n.events_table, "EVENTS_INDEX": n.events_index,
                "TOPIC_ARN": n.topic_arn}  # fmt: skip

    def ensure_function(self) -> None:
        pkg = package.build(self.source)
        self.result.code_sha256 = pkg.sha256
        lam = self.aws("lambda")
        try:
            current = lam.get_function(FunctionName=self.names.function)["Configuration"]
        except ClientError as err:
            if error_code(err) != "ResourceNotFoundException":
                raise
            self._create_function(pkg)
            return
        self._update_function(current, pkg)

    def _create_function(self, pkg: package.Package) -> None:
        lam = self.aws("lambda")
        lam.create_function(
            FunctionName=self.names.function, Runtime=RUNTIME, Role=self.names.role_arn,
            Handler="handler.handler", Code={"ZipFile": pkg.data}, Timeout=FUNCTION_TIMEOUT,
            MemorySize=256, Environment={"Variables": self.environment()},
        )  # fmt: skip
        lam.get_waiter("function_active_v2").wait(
            FunctionName=self.names.function, WaiterConfig={"Delay": 0.2}
        )
        self.note("lambda-function", self.names.function, "created", _short(pkg.sha256))

    def _update_function(self, current: dict[str, Any], pkg: package.Package) -> None:
        lam = self.aws("lambda")
        if current.get("CodeSha256") != _aws_sha(pkg.data):
            lam.update_function_code(FunctionName=self.names.function, ZipFile=pkg.data)
            lam.get_waiter("function_updated_v2").wait(
                FunctionName=self.names.function, WaiterConfig={"Delay": 0.2}
            )
            self.note("lambda-function", self.names.function, "updated", _short(pkg.sha256))
        else:
            self.note("lambda-function", self.names.function, "unchanged", _short(pkg.sha256))
        if current.get("Environment", {}).get("Variables") != self.environment():
            lam.update_function_configuration(
                FunctionName=self.names.function, Environment={"Variables": self.environment()}
            )
            self.note("lambda-configuration", self.names.function, "updated")

    # -- event sources --------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        s3, bucket = self.aws("s3"), self.names.bucket
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
        wanted = {"LambdaFunctionConfigurations": [{
            "Id": "to-processor", "LambdaFunctionArn": self.names.function_arn,
            "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
        }]}  # fmt: skip
        current = s3.get_bucket_notification_configuration(Bucket=bucket)
        current.pop("ResponseMetadata", None)
        if _notification_targets(current) != _notification_targets(wanted):
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration=wanted
            )
        action = "unchanged" if bucket in existing else "created"
        self.note("s3-bucket", bucket, action, "notifies the function on create/remove")

    def ensure_queues(self) -> None:
        n = self.names
        redrive = {"deadLetterTargetArn": n.queue_arn(n.dead_letter_queue),
                   "maxReceiveCount": str(MAX_RECEIVE_COUNT)}  # fmt: skip
        self._ensure_queue(n.dead_letter_queue, {})
        self._ensure_queue(n.queue, {"VisibilityTimeout": str(QUEUE_VISIBILITY),
                                     "RedrivePolicy": json.dumps(redrive)})  # fmt: skip
        self._ensure_mapping(n.queue_arn(n.queue), "sqs-trigger", n.queue, BatchSize=10,
                             FunctionResponseTypes=["ReportBatchItemFailures"])  # fmt: skip

    def _ensure_queue(self, name: str, attributes: dict[str, str]) -> None:
        """Create the queue, or bring an existing one (perhaps holding a backlog) in line."""
        sqs = self.aws("sqs")
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except ClientError as err:
            if "NonExistentQueue" not in error_code(err):
                raise
            sqs.create_queue(QueueName=name, Attributes=attributes)
            self.note("sqs-queue", name, "created")
            return
        current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if any(current.get(key) != value for key, value in attributes.items()):
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
            self.note("sqs-queue", name, "updated")
            return
        self.note("sqs-queue", name, "unchanged")

    def ensure_stream_mapping(self) -> None:
        table = self.aws("dynamodb").describe_table(TableName=self.names.orders_table)["Table"]
        source_arn, kind, label = table["LatestStreamArn"], STREAM_TRIGGER, table["TableName"]
        existing = self._mappings(source_arn)
        # ministack may have been restarted without our `up` (compose, by hand), which
        # leaves the trigger skipping records (see emulator.reanchor_stream_mappings); the
        # deploy that our "not invoked" hint suggests must repair that.
        if existing and emulator.is_ministack(self.endpoint):
            self._reanchor(existing)
            self.note(kind, label, "unchanged", "re-anchored at the stream's end")
            return
        self._ensure_mapping(source_arn, kind, label, StartingPosition="LATEST", BatchSize=10)

    def _reanchor(self, mappings: list[dict[str, Any]]) -> None:
        """Copy each mapping (a new one reads from the stream's end), then drop the original."""
        lam = self.aws("lambda")
        for mapping in mappings:
            lam.create_event_source_mapping(**emulator.recreate_request(mapping))
            lam.delete_event_source_mapping(UUID=mapping["UUID"])

    def _mappings(self, source_arn: str) -> list[dict[str, Any]]:
        answer = self.aws("lambda").list_event_source_mappings(
            FunctionName=self.names.function, EventSourceArn=source_arn
        )
        return list(answer["EventSourceMappings"])

    def _ensure_mapping(self, source_arn: str, kind: str, label: str, **options: Any) -> None:
        if self._mappings(source_arn):
            self.note(kind, label, "unchanged")
            return
        self.aws("lambda").create_event_source_mapping(
            FunctionName=self.names.function, EventSourceArn=source_arn, Enabled=True, **options
        )
        self.note(kind, label, "created")

    def ensure_topic(self) -> None:
        sns = self.aws("sns")
        topics = {t["TopicArn"] for t in sns.list_topics().get("Topics", [])}
        sns.create_topic(Name=self.names.topic)
        action = "unchanged" if self.names.topic_arn in topics else "created"
        self.note("sns-topic", self.names.topic, action)

    def ensure_subscription(self) -> None:
        sns = self.aws("sns")
        subs = sns.list_subscriptions_by_topic(TopicArn=self.names.topic_arn)["Subscriptions"]
        if any(s.get("Endpoint") == self.names.function_arn for s in subs):
            self.note("sns-subscription", self.names.topic, "unchanged")
            return
        sns.subscribe(TopicArn=self.names.topic_arn, Protocol="lambda",
                      Endpoint=self.names.function_arn)  # fmt: skip
        self.note("sns-subscription", self.names.topic, "created")

    def ensure_rules(self) -> None:
        events = self.aws("events")
        existing = {r["Name"] for r in events.list_rules(NamePrefix=self.names.prefix)["Rules"]}
        for rule, source in self.names.rules.items():
            events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}),
                            State="ENABLED")  # fmt: skip
            events.put_targets(Rule=rule, Targets=[{"Id": "processor",
                                                    "Arn": self.names.function_arn}])  # fmt: skip
            self.note("eventbridge-rule", rule, "unchanged" if rule in existing else "created",
                      f"source = {source}")  # fmt: skip

    # -- API Gateway ----------------------------------------------------------------------

    def ensure_api(self) -> None:
        api = self.aws("apigateway")
        api_id, created = self._rest_api(api)
        resource_id, resource_created = self._events_resource(api, api_id)
        changed = resource_created or created
        for method in ("GET", "POST"):
            changed |= self._proxy_method(api, api_id, resource_id, method)
        if changed:
            api.create_deployment(restApiId=api_id, stageName=self.names.stage)
        self.result.stage_url = stage_url(self.endpoint, api_id, self.names.stage)
        self.note("rest-api", self.names.api, "created" if changed else "unchanged",
                  self.result.stage_url + "/events")  # fmt: skip

    def _rest_api(self, api: Any) -> tuple[str, bool]:
        for item in api.get_rest_apis(limit=500).get("items", []):
            if item["name"] == self.names.api:
                return str(item["id"]), False
        return str(api.create_rest_api(name=self.names.api)["id"]), True

    def _events_resource(self, api: Any, api_id: str) -> tuple[str, bool]:
        resources = api.get_resources(restApiId=api_id, limit=500)["items"]
        for item in resources:
            if item.get("path") == "/events":
                return str(item["id"]), False
        root = next(item["id"] for item in resources if item.get("path") == "/")
        created = api.create_resource(restApiId=api_id, parentId=root, pathPart="events")
        return str(created["id"]), True

    def _proxy_method(self, api: Any, api_id: str, resource_id: str, method: str) -> bool:
        try:
            api.get_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method)
            return False
        except ClientError as err:
            if error_code(err) != "NotFoundException":
                raise
        try:
            api.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                           authorizationType="NONE")  # fmt: skip
        except ClientError as err:
            if error_code(err) != "ConflictException":
                raise
        uri = (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
               f"{self.names.function_arn}/invocations")  # fmt: skip
        api.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                            type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)  # fmt: skip
        return True


def stage_url(endpoint: str, api_id: str, stage: str) -> str:
    """The stage's base URL in the form both LocalStack and ministack serve."""
    return f"{endpoint}/restapis/{api_id}/{stage}/_user_request_"


def _notification_targets(config: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    return sorted(
        (c.get("LambdaFunctionArn", ""), tuple(sorted(c.get("Events", []))))
        for c in config.get("LambdaFunctionConfigurations", [])
    )


def _aws_sha(data: bytes) -> str:
    """Lambda reports CodeSha256 as the base64 of the SHA-256 digest."""
    import hashlib

    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _short(sha: str) -> str:
    return f"code {sha[:12]}"


def deploy(endpoint: str, source: Path, names: Names | None = None) -> DeployResult:
    return Deployer(endpoint, source, names).run()
