"""The chaos API answers the documented requests as LocalStack's does."""

from __future__ import annotations

import time

from sandbox.services.chaos.client import ChaosClient
from tests.chaos.conftest import http

FAULTS = "/_localstack/chaos/faults"
EFFECTS = "/_localstack/chaos/effects"
S3_OUTAGE = [{"service": "s3", "region": "us-east-1"}, {"service": "s3", "region": "ap-south-1"}]
KINESIS = {
    "service": "kinesis",
    "operation": "PutRecord",
    "probability": 0.3,
    "error": {"statusCode": 400, "code": "ProvisionedThroughputExceededException"},
}


def test_no_rule_is_in_force_at_first(chaos: ChaosClient, endpoint: str) -> None:
    assert http(endpoint, "GET", FAULTS) == (200, [])


def test_post_replaces_the_rules_and_answers_them_as_sent(
    chaos: ChaosClient, endpoint: str
) -> None:
    http(endpoint, "POST", FAULTS, [{"service": "lambda"}])
    assert http(endpoint, "POST", FAULTS, S3_OUTAGE) == (200, S3_OUTAGE)
    assert http(endpoint, "GET", FAULTS) == (200, S3_OUTAGE)


def test_patch_adds_rules_after_the_ones_in_force(chaos: ChaosClient, endpoint: str) -> None:
    http(endpoint, "POST", FAULTS, S3_OUTAGE)
    assert http(endpoint, "PATCH", FAULTS, [KINESIS]) == (200, [*S3_OUTAGE, KINESIS])


def test_delete_removes_exactly_the_given_rules(chaos: ChaosClient, endpoint: str) -> None:
    http(endpoint, "POST", FAULTS, [*S3_OUTAGE, {"service": "lambda"}])
    status, rules = http(endpoint, "DELETE", FAULTS, [{"service": "lambda"}])
    assert (status, rules) == (200, S3_OUTAGE)


def test_deleting_a_rule_not_in_force_is_a_404_and_removes_nothing(
    chaos: ChaosClient, endpoint: str
) -> None:
    http(endpoint, "POST", FAULTS, S3_OUTAGE)
    status, answer = http(endpoint, "DELETE", FAULTS, [S3_OUTAGE[0], {"service": "s3"}])
    assert status == 404
    assert answer["error"] == "RuleNotFound"
    assert "rule 2 of the request" in answer["message"]
    assert http(endpoint, "GET", FAULTS) == (200, S3_OUTAGE)


def test_an_empty_list_disables_the_faults(chaos: ChaosClient, endpoint: str) -> None:
    http(endpoint, "POST", FAULTS, S3_OUTAGE)
    assert http(endpoint, "POST", FAULTS, []) == (200, [])


def test_latency_is_zero_until_an_effect_sets_it(chaos: ChaosClient, endpoint: str) -> None:
    assert http(endpoint, "GET", EFFECTS) == (200, {"latency": 0})
    assert http(endpoint, "POST", EFFECTS, {"latency": 250}) == (200, {"latency": 250})
    assert http(endpoint, "GET", EFFECTS) == (200, {"latency": 250})
    assert http(endpoint, "POST", EFFECTS, {}) == (200, {"latency": 0})


def test_other_methods_are_refused_with_the_allowed_ones(chaos: ChaosClient, endpoint: str) -> None:
    status, answer = http(endpoint, "PUT", FAULTS, [])
    assert status == 405
    assert "GET, POST, PATCH, DELETE" in answer["message"]
    assert http(endpoint, "DELETE", EFFECTS)[0] == 405


def test_an_unknown_chaos_path_names_the_two_endpoints(chaos: ChaosClient, endpoint: str) -> None:
    status, answer = http(endpoint, "GET", "/_localstack/chaos/outages")
    assert status == 404
    assert FAULTS in answer["message"]
    assert EFFECTS in answer["message"]


def test_the_emulators_own_endpoints_are_never_slowed_down(
    chaos: ChaosClient, endpoint: str
) -> None:
    chaos.set_latency(2000)
    began = time.perf_counter()
    assert http(endpoint, "GET", FAULTS) == (200, [])
    assert http(endpoint, "GET", "/_localstack/health")[0] == 200
    assert time.perf_counter() - began < 1.5
