"""Deploy the event processor and wire every event source to it, idempotently.

Each `ensure_*` step creates what is missing and leaves what exists alone, so a second
deploy changes nothing but the function's code (and only when the code changed). The steps
that wire the event sources are in triggers.py; a release (`--publish`) in release.py.

On a real AWS account (`Names.for_account`) the deploy also creates the function's execution
role and the permissions that let each service invoke it (iam.py), names the bucket uniquely,
and gives the API's real URL; on an emulator it does exactly what it always did.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sandbox.aws import deploylog, iam, package
from sandbox.aws.clients import client, error_code, is_real_aws, real_region, translated
from sandbox.aws.deploylock import one_at_a_time
from sandbox.aws.deploylog import Entry
from sandbox.aws.names import MAX_BUCKET_NAME, Names
from sandbox.aws.triggers import STREAM_TRIGGER, TriggerSteps
from sandbox.errors import ConfigError

__all__ = [
    "STREAM_TRIGGER",
    "DeployResult",
    "Deployer",
    "Resource",
    "deploy",
    "function_exists",
    "stage_url",
]

RUNTIME = "python3.12"
FUNCTION_TIMEOUT = 5
WAIT_LIMIT_S = 300  # for a function or table to become ready
SERVICES = ("lambda", "dynamodb", "sns", "sqs", "s3", "events", "apigateway")
REAL_ACCOUNT_SERVICES = ("iam",)  # the execution role
Step = tuple[str, Callable[[], None]]


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


class Deployer(TriggerSteps):
    """The deploy's steps. `alias` None wires the triggers to the function ($LATEST), as a
    plain deploy does; "live" wires them to that alias (a release)."""

    def __init__(
        self,
        endpoint: str,
        source: Path,
        names: Names | None = None,
        alias: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint
        self.source = source
        self.names = names or Names()
        self.qualifier = alias
        self.target_arn = self.names.alias_arn if alias else self.names.function_arn
        self.sleep = sleep  # while a new role propagates (tests pass one that does not wait)
        self.result = DeployResult()
        self.code = ""  # the CodeSha256 Lambda reports for what ensure_function deployed

    def aws(self, service: str) -> Any:
        return client(service, self.endpoint)

    def make_clients(self) -> None:
        """Every client a deploy uses, made (and cached) before it takes the function's lock:
        loading their service models is a tenth of a second no other deploy need wait for."""
        with translated("make the AWS clients", self.endpoint):  # e.g. no region set
            for service in SERVICES + (REAL_ACCOUNT_SERVICES if self.names.real_account else ()):
                self.aws(service)

    def note(self, kind: str, name: str, action: str, detail: str = "") -> None:
        self.result.resources.append(Resource(kind, name, action, detail))

    def run(self) -> DeployResult:
        self.run_steps([*self.prepare_steps(), ("deploy the function", self.ensure_function),
                        *self.wiring_steps()])  # fmt: skip
        return self.result

    def run_steps(self, steps: list[Step]) -> None:
        for action, step in steps:
            with translated(action, self.endpoint):
                step()

    def prepare_steps(self) -> list[Step]:
        """What the function needs before it exists: its tables, topic and (on a real
        account) its role."""
        steps: list[Step] = [
            ("create the events table", self.ensure_events_table),
            ("create the orders table", self.ensure_orders_table),
            ("create the SNS topic", self.ensure_topic),
        ]
        if self.names.real_account:
            steps.insert(0, ("check the names", self.check_names))
            steps.append(("create the function's execution role", self.ensure_role))
        return steps

    def wiring_steps(self) -> list[Step]:
        return [
            ("wire the S3 bucket", self.ensure_bucket),
            ("wire the SQS queue", self.ensure_queues),
            ("subscribe to the topic", self.ensure_subscription),
            ("wire the EventBridge rules", self.ensure_rules),
            ("wire the DynamoDB stream", self.ensure_stream_mapping),
            ("create the REST API", self.ensure_api),
        ]

    # -- a real account -------------------------------------------------------------------

    def check_names(self) -> None:
        if len(self.names.bucket) > MAX_BUCKET_NAME:
            raise ConfigError(
                f"the bucket name {self.names.bucket} is longer than S3 allows "
                f"({MAX_BUCKET_NAME} characters)",
                "use a shorter prefix",
            )

    def ensure_role(self) -> None:
        action = iam.ensure_execution_role(self.aws("iam"), self.names)
        self.note("iam-role", self.names.role, action,
                  f"trusted by Lambda; policy {self.names.role_policy}")  # fmt: skip

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
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=polling(self.endpoint))
        self.note("dynamodb-table", name, "created")

    # -- the function ---------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        n = self.names
        return {"EVENTS_TABLE": n.events_table, "EVENTS_INDEX": n.events_index,
                "TOPIC_ARN": n.topic_arn}  # fmt: skip

    def ensure_topic(self) -> None:
        sns = self.aws("sns")
        topics = {t["TopicArn"] for t in sns.list_topics().get("Topics", [])}
        sns.create_topic(Name=self.names.topic)
        action = "unchanged" if self.names.topic_arn in topics else "created"
        self.note("sns-topic", self.names.topic, action)

    def ensure_function(self) -> None:
        pkg = package.build(self.source)
        self.result.code_sha256 = pkg.sha256
        self.code = aws_code_sha256(pkg.data)
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
        lam, name = self.aws("lambda"), self.names.function

        def create() -> Any:
            return lam.create_function(
                FunctionName=name, Runtime=RUNTIME, Role=self.names.role_arn,
                Handler="handler.handler", Code={"ZipFile": pkg.data}, Timeout=FUNCTION_TIMEOUT,
                MemorySize=256, Environment={"Variables": self.environment()},
            )  # fmt: skip

        iam.retry_while_role_propagates(create, self.names.role_arn, self.sleep)
        self.wait_for("function_active_v2")
        self.note("lambda-function", name, "created", _short(pkg.sha256))

    def _update_function(self, current: dict[str, Any], pkg: package.Package) -> None:
        lam, name = self.aws("lambda"), self.names.function
        if current.get("CodeSha256") != aws_code_sha256(pkg.data):
            lam.update_function_code(FunctionName=name, ZipFile=pkg.data)
            self.wait_for("function_updated_v2")
            self.note("lambda-function", name, "updated", _short(pkg.sha256))
        else:
            self.note("lambda-function", name, "unchanged", _short(pkg.sha256))
        if current.get("Environment", {}).get("Variables") != self.environment():
            lam.update_function_configuration(
                FunctionName=name, Environment={"Variables": self.environment()}
            )
            self.wait_for("function_updated_v2")  # AWS refuses the next change until then
            self.note("lambda-configuration", name, "updated")

    def wait_for(self, waiter: str, qualifier: str = "") -> None:
        name = f"{self.names.function}:{qualifier}" if qualifier else self.names.function
        self.aws("lambda").get_waiter(waiter).wait(FunctionName=name,
                                                   WaiterConfig=polling(self.endpoint))  # fmt: skip


def polling(endpoint: str) -> dict[str, float | int]:
    """How a waiter polls: an emulator often (its state changes take tens of milliseconds,
    and every deploy waits for one), real AWS once a second; either for up to 5 minutes."""
    delay = 1.0 if is_real_aws(endpoint) else 0.05
    return {"Delay": delay, "MaxAttempts": int(WAIT_LIMIT_S / delay)}


def stage_url(endpoint: str, api_id: str, stage: str) -> str:
    """The stage's base URL: the form both LocalStack and ministack serve, or on real AWS
    the execute-api host in the region boto3 uses."""
    if is_real_aws(endpoint):
        return f"https://{api_id}.execute-api.{real_region()}.amazonaws.com/{stage}"
    return f"{endpoint}/restapis/{api_id}/{stage}/_user_request_"


def aws_code_sha256(data: bytes) -> str:
    """Lambda reports CodeSha256 as the base64 of the package's SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def code_sha256_of(source: Path) -> str:
    """The CodeSha256 Lambda reports for a deploy of the Lambda folder `source`."""
    return aws_code_sha256(package.build(source).data)


def _short(sha: str) -> str:
    return f"code {sha[:12]}"


def function_exists(endpoint: str, names: Names | None = None) -> bool:
    """Whether the processor is deployed (an emulator that does not answer: no)."""
    from botocore.exceptions import BotoCoreError

    try:
        client("lambda", endpoint).get_function(FunctionName=(names or Names()).function)
    except (ClientError, BotoCoreError):
        return False
    return True


def deploy(
    endpoint: str,
    source: Path,
    names: Names | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> DeployResult:
    """Deploy `source` with the triggers on $LATEST, once no other deploy of the function
    runs (`on_wait` hears it when one does)."""
    deployer = Deployer(endpoint, source, names)
    deployer.make_clients()
    with one_at_a_time(endpoint, deployer.names.function, on_wait):
        result = deployer.run()
        deploylog.record(endpoint, deployer.names.function, Entry("deploy", deployer.code))
    return result
