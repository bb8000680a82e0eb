"""Bad input is a 400 with a message that says what is wrong, never a traceback, and it
changes nothing that is in force."""

from __future__ import annotations

import pytest

from sandbox.services.chaos.client import ChaosClient
from tests.chaos.conftest import http

FAULTS = "/_localstack/chaos/faults"
EFFECTS = "/_localstack/chaos/effects"
IN_FORCE = [{"service": "lambda", "operation": "Invoke"}]
GOOD = {"service": "dynamodb"}

BAD_RULES = [
    ([{"operation": "PutItem"}], "it has no 'service'"),
    ([GOOD, {"operation": "PutItem", "probability": 0.5}], "rule 2: it has no 'service'"),
    ([{"service": "dynamodb", "probability": 1.5}], "'probability' must be a number from 0 to 1"),
    ([{"service": "dynamodb", "probability": -0.1}], "'probability' must be a number from 0 to 1"),
    ([{"service": "dynamodb", "probability": "0.5"}], "'probability' must be a number"),
    ([{"service": "dynamodb", "probability": True}], "'probability' must be a number"),
    ([{"service": "dynamo"}], "did you mean dynamodb?"),
    ([{"service": "dynamodb", "operation": "putItem"}], "did you mean PutItem?"),
    ([{"service": "dynamodb", "region": "us-east1"}], "is not a region name"),
    ([{"service": "dynamodb", "probabilty": 0.5}], "unknown field(s) 'probabilty'"),
    ([{"service": "dynamodb", "error": {"statusCode": 200}}], "from 400 to 599"),
    ([{"service": "dynamodb", "error": {"code": "Slow Down"}}], "must be an AWS error code"),
    ([{"service": "dynamodb", "error": "ThrottlingException"}], "'error' must be a JSON object"),
    ([{"service": ""}], "'service' must be a non-empty string"),
    ({"service": "dynamodb"}, "expected a JSON array of rules"),
    (["dynamodb"], "a rule must be a JSON object"),
]


@pytest.mark.parametrize(("body", "expected"), BAD_RULES)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_bad_rule_is_a_400_that_says_why(
    chaos: ChaosClient, endpoint: str, method: str, body: object, expected: str
) -> None:
    chaos.set_faults(IN_FORCE)
    status, answer = http(endpoint, method, FAULTS, body)
    assert status == 400
    assert answer["error"] == "InvalidRule"
    assert expected in answer["message"]
    assert chaos.faults() == IN_FORCE


BAD_JSON = [
    (b"[{", "is not valid JSON"),
    (b"", "has no body"),
    (b'[{"service": "dynamodb", "probability": NaN}]', "NaN is not a JSON number"),
    (b"\xff\xfe", "is not valid JSON"),
]


@pytest.mark.parametrize(("body", "expected"), BAD_JSON)
def test_a_body_that_is_not_json_is_a_400(
    chaos: ChaosClient, endpoint: str, body: bytes, expected: str
) -> None:
    chaos.set_faults(IN_FORCE)
    status, answer = http(endpoint, "POST", FAULTS, body)
    assert (status, answer["error"]) == (400, "InvalidJSON")
    assert expected in answer["message"]
    assert "Traceback" not in answer["message"]
    assert chaos.faults() == IN_FORCE


BAD_EFFECTS = [
    ({"latency": -1}, "from 0 to 60000 ms"),
    ({"latency": 60001}, "from 0 to 60000 ms"),
    ({"latency": "100"}, "whole milliseconds"),
    ({"latency": 1.5}, "whole milliseconds"),
    ({"delay": 100}, "latency is the only effect"),
    ([100], "expected a JSON object"),
]


@pytest.mark.parametrize(("body", "expected"), BAD_EFFECTS)
def test_a_bad_effect_is_a_400_and_keeps_the_latency(
    chaos: ChaosClient, endpoint: str, body: object, expected: str
) -> None:
    chaos.set_latency(5)
    status, answer = http(endpoint, "POST", EFFECTS, body)
    assert (status, answer["error"]) == (400, "InvalidEffect")
    assert expected in answer["message"]
    assert chaos.effects() == {"latency": 5}
