"""The check kinds that break things on purpose, against real servers: a faults server, the
AWS emulator behind its chaos API, and lab 04's users service under gunicorn behind a
proxy. Each kind passes, fails, and leaves no fault behind, even when its check fails or
raises."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from pydantic import Field

from sandbox.faults.client import FaultsClient
from sandbox.labs.checks import builtin_registry
from sandbox.labs.checks.base import (
    CheckContext,
    CheckKind,
    Outcome,
    Params,
    Registry,
    Status,
)
from sandbox.labs.runner import evaluate_once
from sandbox.services import aws, faults
from sandbox.services.chaos.client import ChaosClient
from sandbox.services.process import ServerProcess
from tests.helpers import free_port
from tests.labs import lab04_rig as rig

pytestmark = pytest.mark.slow
TABLE = "kinds-faults"
NO_RETRIES: Any = {"mode": "standard", "total_max_attempts": 1}


# -- real servers --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kinds-faults")


@pytest.fixture(scope="module")
def emulator(home: Path) -> Iterator[ServerProcess]:
    server = aws.start(aws.AwsConfig(home=home, port=free_port()))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def faults_server(home: Path) -> Iterator[ServerProcess]:
    server = faults.start(faults.FaultsConfig(home=home, port=free_port()))
    yield server
    server.stop(timeout=5)


@pytest.fixture(scope="module")
def users(home: Path, emulator: ServerProcess, faults_server: ServerProcess) -> Iterator[int]:
    """Lab 04's users service behind the proxy "users", registered in Cloud Map: the port."""
    server, proxy_port = rig.start_users(emulator.url, faults_server.url, home / "logs")
    yield proxy_port
    server.stop(timeout=5)


@pytest.fixture
def proxy_url(users: int, faults_server: ServerProcess) -> Iterator[str]:
    """users through its proxy; the proxy has no toxic before and after each test."""
    client = FaultsClient(faults_server.url)
    yield f"http://127.0.0.1:{users}"
    assert toxics(client) == [], "a check left a toxic behind"
    assert client.proxies()["users"]["enabled"], "a check left the proxy disabled"


@pytest.fixture
def chaos(emulator: ServerProcess) -> Iterator[ChaosClient]:
    client = ChaosClient(emulator.url)
    client.set_faults([])
    client.set_latency(0)
    yield client
    client.set_faults([])
    client.set_latency(0)


@pytest.fixture
def ctx(
    tmp_path: Path, emulator: ServerProcess, faults_server: ServerProcess, proxy_url: str
) -> CheckContext:
    endpoints = {"aws": emulator.url, "faults": faults_server.url, "users": proxy_url}
    context = CheckContext(workspace=tmp_path, lab_dir=tmp_path, endpoints=endpoints)
    context.nested = lambda spec: evaluate_once(spec, REGISTRY, context)
    return context


def toxics(client: FaultsClient, proxy: str = "users") -> list[dict[str, Any]]:
    return list(client.proxies()[proxy]["toxics"])


def check(ctx: CheckContext, **spec: Any) -> Outcome:
    return evaluate_once(spec, REGISTRY, ctx)


# -- a check kind of the tests' own: one PutItem, no retries -------------------------------


class PutParams(Params):
    key: str = Field(default_factory=lambda: uuid.uuid4().hex)


def put_once(params: PutParams, ctx: CheckContext) -> Outcome:
    ddb = boto3.client("dynamodb", endpoint_url=ctx.endpoints["aws"], region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test",
                       config=Config(retries=NO_RETRIES))  # fmt: skip
    try:
        ddb.put_item(TableName=TABLE, Item={"id": {"S": params.key}})
    except ClientError as err:
        return Outcome.failed(f"PutItem: {err.response['Error']['Code']}")
    return Outcome.passed("PutItem stored the item")


def registry() -> Registry:
    found = builtin_registry()
    found.add(CheckKind("put_once", PutParams, put_once, needs=("aws",)))
    return found


REGISTRY = registry()


@pytest.fixture(scope="module")
def table(emulator: ServerProcess) -> str:
    ddb = boto3.client("dynamodb", endpoint_url=emulator.url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    ddb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")  # fmt: skip
    return TABLE


# -- http within_ms ------------------------------------------------------------------------

SLOW = {"type": "latency", "attributes": {"latency": 1500}}


def test_http_within_ms_passes_a_fast_answer_and_says_how_fast(ctx: CheckContext) -> None:
    outcome = check(ctx, kind="http", service="users", path="/users/1", within_ms=2000)
    assert outcome.status is Status.PASSED
    assert outcome.message.startswith("GET /users/1 -> 200 in ")


def test_http_within_ms_fails_a_slow_answer_instead_of_calling_it_unreachable(
    ctx: CheckContext,
) -> None:
    inner = {"kind": "http", "service": "users", "path": "/users/1", "within_ms": 300}
    outcome = check(ctx, kind="with_toxic", proxy="users", toxic=SLOW, check=inner)
    assert outcome.status is Status.FAILED
    assert outcome.message == (
        "with latency (latency=1500) on proxy users: GET /users/1: no answer within 300 ms"
    )


def test_http_accepts_any_of_several_statuses(ctx: CheckContext) -> None:
    outcome = check(ctx, kind="http", service="users", path="/users/999",
                    expect={"status": [200, 404]})  # fmt: skip
    assert outcome.status is Status.PASSED
    wrong = check(ctx, kind="http", service="users", path="/users/999",
                  expect={"status": [200, 201]})  # fmt: skip
    assert wrong.status is Status.FAILED
    assert "expected status 200 or 201, got 404" in wrong.message


# -- success_ratio -------------------------------------------------------------------------


def test_success_ratio_passes_when_every_request_succeeds(ctx: CheckContext) -> None:
    outcome = check(ctx, kind="success_ratio", service="users", path="/users/{n}", count=10,
                    concurrency=4)  # fmt: skip
    assert outcome == Outcome.passed("10/10 GET /users/{n} succeeded (100%, at least 100% needed)")


def test_success_ratio_fails_below_the_ratio_and_tallies_why(ctx: CheckContext) -> None:
    # /users/{n}0: users 10..100 exist, /users/110 does not: 10 of 11 succeed
    outcome = check(ctx, kind="success_ratio", service="users", path="/users/{n}0", count=11,
                    min_ratio=0.95)  # fmt: skip
    assert outcome.status is Status.FAILED
    assert outcome.message == (
        "10/11 GET /users/{n}0 succeeded (91%, at least 95% needed); failures: 1 x status 404"
    )
    assert check(ctx, kind="success_ratio", service="users", path="/users/{n}0", count=11,
                 min_ratio=0.9).status is Status.PASSED  # fmt: skip


def test_success_ratio_counts_reset_connections_as_failures(ctx: CheckContext) -> None:
    reset = {"type": "reset_peer", "stream": "upstream", "attributes": {"timeout": 0}}
    inner = {"kind": "success_ratio", "service": "users", "path": "/users/1", "count": 4}
    outcome = check(ctx, kind="with_toxic", proxy="users", toxic=reset, check=inner)
    assert outcome.status is Status.FAILED
    assert "0/4 GET /users/1 succeeded" in outcome.message
    assert "4 x connection reset" in outcome.message


def test_success_ratio_checks_the_expected_status(ctx: CheckContext) -> None:
    outcome = check(ctx, kind="success_ratio", service="users", path="/users/1", count=2,
                    expect_status=503)  # fmt: skip
    assert outcome.status is Status.FAILED
    assert outcome.message.endswith("failures: 2 x status 200")


# -- proxy_counters ------------------------------------------------------------------------

FIVE_GETS = {"kind": "success_ratio", "service": "users", "path": "/users/2", "count": 5}


def test_proxy_counters_bounds_what_the_check_made_the_proxy_count(ctx: CheckContext) -> None:
    exactly_five = {"connections_total": {"min": 5, "max": 5}}
    outcome = check(ctx, kind="proxy_counters", proxy="users", check=FIVE_GETS,
                    expect=exactly_five)  # fmt: skip
    assert outcome.status is Status.PASSED
    assert outcome.message.startswith("proxy users: connections_total +5, while: 5/5 GET")


def test_proxy_counters_fails_when_a_counter_grew_too_much(ctx: CheckContext) -> None:
    outcome = check(ctx, kind="proxy_counters", proxy="users", check=FIVE_GETS,
                    expect={"connections_total": {"max": 2}})  # fmt: skip
    assert outcome.status is Status.FAILED
    assert outcome.message.startswith(
        "proxy users: connections_total grew by 5 (at most 2 allowed), while: 5/5 GET"
    )


def test_proxy_counters_does_not_count_the_before_checks(ctx: CheckContext) -> None:
    outcome = check(ctx, kind="proxy_counters", proxy="users", before=[FIVE_GETS, FIVE_GETS],
                    check=FIVE_GETS, expect={"connections_total": {"max": 5}})  # fmt: skip
    assert outcome.status is Status.PASSED


def test_proxy_counters_fails_when_its_check_fails(ctx: CheckContext) -> None:
    failing = {**FIVE_GETS, "expect_status": 500}
    outcome = check(ctx, kind="proxy_counters", proxy="users", check=failing,
                    expect={"connections_total": {"max": 100}})  # fmt: skip
    assert outcome.status is Status.FAILED
    # +5, and the guard's probe of users after the failure: it goes through the proxy too
    assert outcome.message.endswith("(proxy users: connections_total +6)")


def test_proxy_counters_of_a_missing_proxy_or_counter_are_unknown(ctx: CheckContext) -> None:
    missing = check(ctx, kind="proxy_counters", proxy="nope", check=FIVE_GETS,
                    expect={"connections_total": {"max": 5}})  # fmt: skip
    assert missing.status is Status.UNKNOWN
    assert "cannot read the counters of proxy nope" in missing.message
    typo = check(ctx, kind="proxy_counters", proxy="users", check=FIVE_GETS,
                 expect={"connections": {"max": 5}})  # fmt: skip
    assert typo.status is Status.UNKNOWN
    assert "unknown counter(s) connections; use: connections_total" in typo.message


# -- with_toxic ----------------------------------------------------------------------------


def test_with_toxic_passes_with_its_check_and_takes_the_toxic_off(
    ctx: CheckContext, faults_server: ServerProcess
) -> None:
    mild = {"type": "latency", "attributes": {"latency": 100}}
    inner = {"kind": "http", "service": "users", "path": "/users/3", "within_ms": 2000}
    outcome = check(ctx, kind="with_toxic", proxy="users", toxic=mild, check=inner)
    assert outcome.status is Status.PASSED
    assert outcome.message.startswith("with latency (latency=100) on proxy users: GET /users/3")
    assert toxics(FaultsClient(faults_server.url)) == []


def test_with_toxic_takes_the_toxic_off_when_its_check_fails(
    ctx: CheckContext, faults_server: ServerProcess
) -> None:
    inner = {"kind": "http", "service": "users", "path": "/users/3", "within_ms": 200}
    assert check(ctx, kind="with_toxic", proxy="users", toxic=SLOW, check=inner).status is (
        Status.FAILED
    )
    assert toxics(FaultsClient(faults_server.url)) == []


def test_with_toxic_takes_the_toxic_off_when_its_check_raises(
    ctx: CheckContext, faults_server: ServerProcess
) -> None:
    seen: list[list[dict[str, Any]]] = []

    def explode(_spec: dict[str, Any]) -> Outcome:
        seen.append(toxics(FaultsClient(faults_server.url)))
        raise RuntimeError("the nested check blew up")

    ctx.nested = explode
    outcome = check(ctx, kind="with_toxic", proxy="users", toxic=SLOW, check={"kind": "http"})
    assert outcome.status is Status.UNKNOWN
    assert "RuntimeError: the nested check blew up" in outcome.message
    assert [t["type"] for t in seen[0]] == ["latency"]  # it was on while the check ran
    assert toxics(FaultsClient(faults_server.url)) == []


def test_with_toxic_that_cannot_be_added_is_unknown(ctx: CheckContext) -> None:
    outcome = check(ctx, kind="with_toxic", proxy="users", toxic={"type": "lag"},
                    check=FIVE_GETS)  # fmt: skip
    assert outcome.status is Status.UNKNOWN
    assert outcome.message.startswith("could not add the toxic to proxy users: faults:")


def test_with_toxic_without_a_faults_server_is_unknown(ctx: CheckContext) -> None:
    ctx.endpoints.pop("faults")
    outcome = check(ctx, kind="with_toxic", proxy="users", toxic=SLOW, check=FIVE_GETS)
    assert outcome.status is Status.UNKNOWN
    assert outcome.message.endswith("is not running; start the stack with `sandbox up`")


class BackendWithoutFaults:
    """Stands in for a backend whose `limits` say it has no faults server."""

    limits: ClassVar = {"faults": "this backend has no faults server; use the embedded backend"}


def test_with_toxic_on_a_backend_without_faults_says_why(ctx: CheckContext) -> None:
    ctx.control = BackendWithoutFaults()
    outcome = check(ctx, kind="with_toxic", proxy="users", toxic=SLOW, check=FIVE_GETS)
    assert outcome == Outcome.unknown(BackendWithoutFaults.limits["faults"])


# -- with_chaos ----------------------------------------------------------------------------

THROTTLED = [{"service": "dynamodb", "operation": "PutItem",
              "error": {"statusCode": 400, "code": "ThrottlingException"}}]  # fmt: skip


def test_with_chaos_fails_the_check_under_the_rule_and_removes_it(
    ctx: CheckContext, chaos: ChaosClient, table: str
) -> None:
    outcome = check(ctx, kind="with_chaos", rules=THROTTLED, check={"kind": "put_once"})
    assert outcome == Outcome.failed(
        "with 100% of dynamodb PutItem calls failing with ThrottlingException: "
        "PutItem: ThrottlingException"
    )
    assert chaos.faults() == []
    assert check(ctx, kind="put_once").status is Status.PASSED


def test_with_chaos_puts_back_the_rules_and_latency_in_force_before(
    ctx: CheckContext, chaos: ChaosClient, table: str
) -> None:
    theirs = [{"service": "sqs", "operation": "SendMessage", "probability": 0.5}]
    chaos.set_faults(theirs)
    chaos.set_latency(5)
    outcome = check(ctx, kind="with_chaos", rules=THROTTLED, latency_ms=50,
                    check={"kind": "put_once"})  # fmt: skip
    assert outcome.status is Status.FAILED
    assert chaos.faults() == theirs
    assert chaos.effects() == {"latency": 5}


def test_with_chaos_removes_the_rule_when_its_check_raises(
    ctx: CheckContext, chaos: ChaosClient
) -> None:
    def explode(_spec: dict[str, Any]) -> Outcome:
        assert chaos.faults() == THROTTLED
        raise RuntimeError("the nested check blew up")

    ctx.nested = explode
    outcome = check(ctx, kind="with_chaos", rules=THROTTLED, check={"kind": "put_once"})
    assert outcome.status is Status.UNKNOWN
    assert chaos.faults() == []


def test_with_chaos_passes_a_check_that_rides_out_the_rule(
    ctx: CheckContext, chaos: ChaosClient
) -> None:
    sometimes = [{**THROTTLED[0], "operation": "GetItem"}]  # not what the check calls
    outcome = check(ctx, kind="with_chaos", rules=sometimes, check=FIVE_GETS)
    assert outcome.status is Status.PASSED
    assert chaos.faults() == []


def test_with_chaos_names_a_bad_rule_before_anything_runs(ctx: CheckContext) -> None:
    outcome = check(ctx, kind="with_chaos", rules=[{"service": "dynamo"}], check=FIVE_GETS)
    assert outcome.status is Status.UNKNOWN
    assert "'dynamo' is not an AWS service botocore knows; did you mean dynamodb?" in (
        outcome.message
    )


# -- service_moved -------------------------------------------------------------------------


class DiscoverParams(Params):
    service: str = "users"


def discovered_get(params: DiscoverParams, ctx: CheckContext) -> Outcome:
    """A client done right: GET /health on a healthy instance Cloud Map names."""
    from sandbox.labs.checks.web import fetch

    found = rig.cloudmap(ctx.endpoints["aws"]).discover_instances(
        NamespaceName="sandbox", ServiceName=params.service, HealthStatus="HEALTHY"
    )["Instances"]
    if not found:
        return Outcome.failed("no healthy instance")
    attributes = found[0]["Attributes"]
    url = f"http://{attributes['AWS_INSTANCE_IPV4']}:{attributes['AWS_INSTANCE_PORT']}"
    return Outcome.passed(f"GET {url}/health -> {fetch(url + '/health', timeout=2).status}")


REGISTRY.add(CheckKind("discovered_get", DiscoverParams, discovered_get, needs=("aws",)))


def health(aws_url: str) -> dict[str, str]:
    sd = rig.cloudmap(aws_url)
    service = next(s for s in sd.list_services()["Services"] if s["Name"] == "users")
    return dict(sd.get_instances_health_status(ServiceId=service["Id"])["Status"])


def test_service_moved_passes_a_client_that_discovers_and_puts_everything_back(
    ctx: CheckContext, emulator: ServerProcess, faults_server: ServerProcess
) -> None:
    outcome = check(ctx, kind="service_moved", service="users", check={"kind": "discovered_get"})
    assert outcome.status is Status.PASSED
    assert outcome.message.startswith("with users moved (from 127.0.0.1:")
    assert health(emulator.url) == {"users-sandbox": "HEALTHY"}
    assert sorted(FaultsClient(faults_server.url).proxies()) == ["users"]


def test_service_moved_leaves_a_fixed_address_unreachable(
    ctx: CheckContext, emulator: ServerProcess
) -> None:
    fixed = {"kind": "http", "service": "users", "path": "/health", "timeout": 2}
    outcome = check(ctx, kind="service_moved", service="users", check=fixed)
    assert outcome.status is Status.UNKNOWN  # the guard: the old address refuses connections
    assert "could not reach the users" in outcome.message
    assert health(emulator.url) == {"users-sandbox": "HEALTHY"}


def test_service_moved_of_an_unregistered_service_is_unknown(ctx: CheckContext) -> None:
    outcome = check(ctx, kind="service_moved", service="billing", check=FIVE_GETS)
    assert outcome == Outcome.unknown(
        "billing is not registered in Cloud Map namespace 'sandbox': is it running?"
    )
