"""Stream images read without the SDK (lambda/attribute_values.py) read as boto3's own
TypeDeserializer reads them: the oracle is the library the processor used to import."""

from __future__ import annotations

import base64
import importlib
from decimal import Decimal, Inexact, Rounded
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer


@pytest.fixture
def read(lambda_modules: None) -> Any:
    return importlib.import_module("attribute_values").value_of


@pytest.mark.parametrize("typed", [
    {"NULL": True},
    {"BOOL": False},
    {"S": "o-1 bé"},
    {"N": "12"},
    {"N": "-0.5e-3"},
    {"N": "12345678901234567890123456789012345678"},
    {"SS": ["a", "b"]},
    {"NS": ["1", "2.5"]},
    {"L": [{"S": "x"}, {"N": "1"}, {"L": []}]},
    {"M": {"inner": {"M": {"ok": {"BOOL": True}}}, "n": {"N": "3"}}},
])  # fmt: skip
def test_every_type_reads_as_boto3_reads_it(read: Any, typed: dict[str, Any]) -> None:
    assert read(typed) == TypeDeserializer().deserialize(typed)


def test_numbers_are_exact_decimals(read: Any) -> None:
    assert read({"N": "0.1"}) == Decimal("0.1")
    assert isinstance(read({"N": "7"}), Decimal)


def test_a_number_dynamodb_could_not_hold_is_refused_not_rounded(read: Any) -> None:
    too_precise = {"N": "1." + "0" * 37 + "1"}  # 39 significant digits
    with pytest.raises((Inexact, Rounded)):
        TypeDeserializer().deserialize(too_precise)
    with pytest.raises((Inexact, Rounded)):
        read(too_precise)


def test_binary_values_are_decoded_from_the_events_base64(read: Any) -> None:
    raw = b"\x00\xffpng"
    encoded = base64.b64encode(raw).decode()
    assert read({"B": encoded}) == raw
    assert read({"BS": [encoded]}) == {raw}


@pytest.mark.parametrize(("typed", "says"), [
    ({"X": "1"}, "unknown DynamoDB type 'X'"),
    ({"S": "a", "N": "1"}, "not a DynamoDB attribute value"),
    ("plain", "not a DynamoDB attribute value"),
])  # fmt: skip
def test_a_malformed_value_is_an_error_that_shows_it(read: Any, typed: Any, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        read(typed)
