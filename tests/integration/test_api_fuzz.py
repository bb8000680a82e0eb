"""Fuzz every operation of the users API from the OpenAPI document the app itself serves.

Each operation gets valid and invalid requests (schemathesis positive and negative modes),
sent in-process through WSGI; no response may be a 5xx, and each must match the status codes,
content types and schemas the document declares. Updates are also checked for what they do:
any body the document allows changes exactly the fields it sends.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckFunction, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

Operation = APIOperation[Any, Any, Any, Any]
AnyCase = Case[Any]

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,  # valid input per the document is never rejected with 400
]
# derandomize: the same requests on every run; database=None: nothing saved under .hypothesis/.
FUZZ_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)


def load_schema(app: Flask) -> schemathesis.BaseSchema:
    """The document at /openapi.json, with calls routed to `app` in-process."""
    # An explicit default config, so no schemathesis.toml on disk changes what runs.
    return schemathesis.openapi.from_wsgi("/openapi.json", app, config=schemathesis.Config())


def operations(schema: schemathesis.BaseSchema) -> list[Operation]:
    """Collection operations first (POST fills the table), then per-user ones, DELETE last,
    so the per-user operations find existing users to aim at."""
    found: list[Operation] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # an operation the document describes badly
            raise result.err()
        found.append(result.ok())
    return sorted(found, key=lambda op: ("{user_id}" in op.path, op.method == "delete"))


def existing_ids(app: Flask) -> list[int]:
    page = app.test_client().get("/api/users", query_string={"limit": 100}).get_json()
    return [user["id"] for user in page["items"]]


def cases_for(operation: Operation, ids: list[int]) -> st.SearchStrategy[AnyCase]:
    """Valid and invalid requests, plus valid ones aimed at users that exist."""
    strategies = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    if ids and "{user_id}" in operation.path:
        # Random ids up to 2**63 - 1 almost never exist: without these the 200s go untested.
        strategies.append(
            st.sampled_from(ids).flatmap(
                lambda user_id: operation.as_strategy(path_parameters={"user_id": user_id})
            )
        )
    return st.one_of(strategies)


def fuzz(operation: Operation, ids: list[int]) -> None:
    """Send generated requests to one operation; raise on the first failed check."""

    @FUZZ_SETTINGS
    @given(case=cases_for(operation, ids))
    def check(case: AnyCase) -> None:
        case.call_and_validate(checks=CHECKS)

    check()


def test_every_operation_conforms_to_the_document(flask_app: Flask, clean_state: None) -> None:
    found = operations(load_schema(flask_app))
    assert found, "the document describes no operations"
    failures = []
    for operation in found:  # every operation runs, so one report lists all that fail
        try:
            fuzz(operation, existing_ids(flask_app))
        except (AssertionError, BaseExceptionGroup) as err:  # schemathesis raises either
            failures.append(f"{operation.label}: {err}")
    assert failures == []


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_an_update_changes_exactly_the_fields_it_sends(
    flask_app: Flask, clean_state: None, method: str
) -> None:
    """PUT as in the course's app, and PATCH: the fields sent change, the others are kept."""
    operation = load_schema(flask_app)["/api/users/{user_id}"][method]
    client = flask_app.test_client()
    created = client.post("/api/users", json={"email": "fuzzed@example.org", "name": "Start"})
    user_id = created.get_json()["id"]
    valid_bodies = operation.as_strategy(
        path_parameters={"user_id": user_id}, generation_mode=GenerationMode.POSITIVE
    )

    @FUZZ_SETTINGS
    @given(case=valid_bodies)
    def check(case: AnyCase) -> None:
        before = client.get(f"/api/users/{user_id}").get_json()
        response = case.call()
        assert response.status_code == 200, response.text
        after = response.json()
        sent = case.body
        assert isinstance(sent, dict)
        assert after["email"] == sent.get("email", before["email"]).strip()
        assert after["name"] == sent.get("name", before["name"])

    check()
