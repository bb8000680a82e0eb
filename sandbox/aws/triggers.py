"""The deploy steps that wire each event source to the function: S3 notifications, the SQS
trigger, the SNS subscription, the EventBridge rules, the DynamoDB-stream trigger and the
REST API.

Every trigger points at `target_arn`: the function itself (its $LATEST code) after a plain
`sandbox deploy`, or its `live` alias after `sandbox deploy --publish`. A trigger that points
elsewhere is moved, in place where AWS allows it (an event source mapping keeps its position
in the stream). On a real account each invoking service is also granted the right to invoke
that target (iam.py); emulators do not check.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from sandbox.aws import iam
from sandbox.aws.clients import error_code
from sandbox.aws.names import Names
from sandbox.services import aws as emulator

if TYPE_CHECKING:
    from sandbox.aws.deploy import DeployResult

QUEUE_VISIBILITY = 5  # >= the function timeout, as AWS requires for an SQS trigger
MAX_RECEIVE_COUNT = 2  # a poison message reaches the DLQ after this many failed deliveries
STREAM_TRIGGER = "dynamodb-stream-trigger"
NOTIFIED_EVENTS = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
US_EAST_1 = "us-east-1"  # the one region whose buckets take no LocationConstraint


class TriggerSteps:
    """Mixed into the Deployer, which provides these attributes."""

    endpoint: str
    names: Names
    target_arn: str
    qualifier: str | None
    result: DeployResult

    def aws(self, service: str) -> Any:
        raise NotImplementedError

    def note(self, kind: str, name: str, action: str, detail: str = "") -> None:
        raise NotImplementedError

    @property
    def target_label(self) -> str:
        return f"alias {self.qualifier}" if self.qualifier else "$LATEST"

    def grant(self, *statements: str, api_id: str | None = None) -> None:
        """On a real account, let the invoking services call the target (emulators do not
        check, and are left as they always were)."""
        if not self.names.real_account:
            return
        wanted = iam.invoke_permissions(self.names, api_id)
        grants = {statement: wanted[statement] for statement in statements}
        for added in iam.ensure_invoke_permissions(
            self.aws("lambda"), self.names, grants, self.qualifier
        ):
            self.note("lambda-permission", added, "created", f"on {self.target_label}")

    # -- S3 -------------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        s3, bucket = self.aws("s3"), self.names.bucket
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket, **_location(self.names.region))
        self.grant("s3-invokes")  # S3 checks the permission when the notification is set
        wanted = {"LambdaFunctionConfigurations": [{
            "Id": "to-processor", "LambdaFunctionArn": self.target_arn, "Events": NOTIFIED_EVENTS,
        }]}  # fmt: skip
        current = s3.get_bucket_notification_configuration(Bucket=bucket)
        rewired = _notification_targets(current) != _notification_targets(wanted)
        if rewired:
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration=wanted
            )
        action = _action(bucket in existing, not rewired)
        self.note("s3-bucket", bucket, action,
                  f"notifies {self.target_label} on create/remove")  # fmt: skip

    # -- SQS ------------------------------------------------------------------------------

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

    # -- event source mappings (SQS, the DynamoDB stream) ---------------------------------

    def ensure_stream_mapping(self) -> None:
        table = self.aws("dynamodb").describe_table(TableName=self.names.orders_table)["Table"]
        source_arn, label = table["LatestStreamArn"], table["TableName"]
        existing = self.mappings(source_arn)
        # ministack may have been restarted without our `up` (compose, by hand), which
        # leaves the trigger skipping records (see emulator.reanchor_stream_mappings); the
        # deploy that our "not invoked" hint suggests must repair that. A copy keeps the
        # original's function, alias included.
        detail = ""
        if existing and emulator.is_ministack(self.endpoint):
            self._reanchor(existing)
            detail = "re-anchored at the stream's end"
        self._ensure_mapping(source_arn, STREAM_TRIGGER, label, detail,
                             StartingPosition="LATEST", BatchSize=10)  # fmt: skip

    def _reanchor(self, mappings: list[dict[str, Any]]) -> None:
        """Copy each mapping (a new one reads from the stream's end), then drop the original."""
        lam = self.aws("lambda")
        for mapping in mappings:
            lam.create_event_source_mapping(**emulator.recreate_request(mapping))
            lam.delete_event_source_mapping(UUID=mapping["UUID"])

    def mappings(self, source_arn: str) -> list[dict[str, Any]]:
        """The function's mappings from `source_arn`, whatever version or alias they run."""
        answer = self.aws("lambda").list_event_source_mappings(EventSourceArn=source_arn)
        ours = self.names.function_arn
        return [m for m in answer["EventSourceMappings"]
                if unqualified(str(m.get("FunctionArn", ""))) == ours]  # fmt: skip

    def _ensure_mapping(
        self, source_arn: str, kind: str, label: str, detail: str = "", **options: Any
    ) -> None:
        lam, existing = self.aws("lambda"), self.mappings(source_arn)
        if not existing:
            lam.create_event_source_mapping(
                FunctionName=self.target_arn, EventSourceArn=source_arn, Enabled=True, **options
            )
            self.note(kind, label, "created", detail or f"runs {self.target_label}")
            return
        moved = [m for m in existing if m.get("FunctionArn") != self.target_arn]
        for mapping in moved:
            lam.update_event_source_mapping(UUID=mapping["UUID"], FunctionName=self.target_arn)
        action = "updated" if moved else "unchanged"
        self.note(kind, label, action, detail or f"runs {self.target_label}")

    # -- SNS and EventBridge --------------------------------------------------------------

    def ensure_subscription(self) -> None:
        sns, topic = self.aws("sns"), self.names.topic_arn
        self.grant("sns-invokes")
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        ours = [s for s in subs if unqualified(s.get("Endpoint", "")) == self.names.function_arn]
        current = [s for s in ours if s.get("Endpoint") == self.target_arn]
        if not current:
            sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=self.target_arn)
        for stale in (s for s in ours if s.get("Endpoint") != self.target_arn):
            sns.unsubscribe(SubscriptionArn=stale["SubscriptionArn"])
        action = _action(bool(ours), bool(current))
        self.note("sns-subscription", self.names.topic, action, f"delivers to {self.target_label}")

    def ensure_rules(self) -> None:
        events = self.aws("events")
        existing = {r["Name"] for r in events.list_rules(NamePrefix=self.names.prefix)["Rules"]}
        self.grant(*(f"events-invokes-{rule}" for rule in self.names.rules))
        for rule, source in self.names.rules.items():
            events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}),
                            State="ENABLED")  # fmt: skip
            targets = events.list_targets_by_rule(Rule=rule)["Targets"] if rule in existing else []
            current = [t.get("Arn") for t in targets if t.get("Id") == "processor"]
            if current != [self.target_arn]:
                events.put_targets(Rule=rule, Targets=[{"Id": "processor",
                                                        "Arn": self.target_arn}])  # fmt: skip
            action = _action(rule in existing, current == [self.target_arn])
            self.note("eventbridge-rule", rule, action, f"source = {source} -> {self.target_label}")

    # -- API Gateway ----------------------------------------------------------------------

    def ensure_api(self) -> None:
        api = self.aws("apigateway")
        api_id, created = self._rest_api(api)
        self.grant("apigateway-invokes", api_id=api_id)
        resource_id, resource_created = self._events_resource(api, api_id)
        changed = resource_created or created
        for method in ("GET", "POST"):
            changed |= self._proxy_method(api, api_id, resource_id, method)
        if changed:
            api.create_deployment(restApiId=api_id, stageName=self.names.stage)
        self.result.stage_url = stage_url_for(self.endpoint, self.names, api_id)
        action = _action(not created, not changed)
        self.note("rest-api", self.names.api, action, self.result.stage_url + "/events")

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

    def integration_uri(self) -> str:
        return (f"arn:aws:apigateway:{self.names.region}:lambda:path/2015-03-31/functions/"
                f"{self.target_arn}/invocations")  # fmt: skip

    def _proxy_method(self, api: Any, api_id: str, resource_id: str, method: str) -> bool:
        """Make METHOD /events a proxy to the target; return whether anything changed."""
        try:
            current = api.get_integration(
                restApiId=api_id, resourceId=resource_id, httpMethod=method
            )
            if current.get("uri") == self.integration_uri():
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
        api.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                            type="AWS_PROXY", integrationHttpMethod="POST",
                            uri=self.integration_uri())  # fmt: skip
        return True


def stage_url_for(endpoint: str, names: Names, api_id: str) -> str:
    """The stage's base URL: on a real account AWS's execute-api host; on an emulator the
    path both LocalStack and ministack serve."""
    if names.real_account:
        return f"https://{api_id}.execute-api.{names.region}.amazonaws.com/{names.stage}"
    return f"{endpoint}/restapis/{api_id}/{names.stage}/_user_request_"


def _action(existed: bool, same: bool) -> str:
    return "unchanged" if existed and same else "updated" if existed else "created"


def unqualified(function_arn: str) -> str:
    """A function's ARN without its version or alias (ARNs have 7 parts, qualified 8)."""
    return ":".join(function_arn.split(":")[:7])


def qualifier_of(function_arn: str) -> str:
    """The version or alias an ARN names; "$LATEST" for the function itself."""
    parts = function_arn.split(":")
    return parts[7] if len(parts) > 7 else "$LATEST"


def _location(region: str) -> dict[str, Any]:
    """CreateBucket outside us-east-1 must name its region."""
    if region == US_EAST_1:
        return {}
    return {"CreateBucketConfiguration": {"LocationConstraint": region}}


def _notification_targets(config: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    return sorted(
        (c.get("LambdaFunctionArn", ""), tuple(sorted(c.get("Events", []))))
        for c in config.get("LambdaFunctionConfigurations", [])
    )
