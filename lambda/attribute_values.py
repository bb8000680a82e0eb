"""DynamoDB's typed JSON ({"S": "o-1"}, {"N": "12"}, ...), as a stream record's Keys and
images carry it, read into plain Python values.

boto3's TypeDeserializer does the same, but importing boto3 is most of a unit-test run's
time: the processor's tests read stream images without loading the SDK. The result is the
same as TypeDeserializer's (tests/serverless/test_attribute_values.py compares them), except
that binary values, base64 text in a Lambda event, are decoded to bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from decimal import Context, Inexact, Rounded
from typing import Any

# DynamoDB numbers: up to 38 significant digits, exactly (boto3's DYNAMODB_CONTEXT).
NUMBERS = Context(Emin=-128, Emax=126, prec=38, traps=[Inexact, Rounded])


def plain(image: dict[str, Any]) -> dict[str, Any]:
    """A record's Keys, NewImage or OldImage as a dict of plain values."""
    return {name: value_of(typed) for name, typed in image.items()}


def value_of(typed: dict[str, Any]) -> Any:
    """One attribute value: {"N": "12"} is Decimal("12"), {"SS": [...]} a set, and so on."""
    if not isinstance(typed, dict) or len(typed) != 1:
        raise ValueError(f"not a DynamoDB attribute value: {typed!r}")
    [(kind, raw)] = typed.items()
    read = READERS.get(kind)
    if read is None:
        raise ValueError(f"unknown DynamoDB type {kind!r} (expected one of {', '.join(READERS)})")
    return read(raw)


READERS: dict[str, Callable[[Any], Any]] = {
    "NULL": lambda raw: None,
    "BOOL": bool,
    "S": str,
    "N": NUMBERS.create_decimal,
    "B": base64.b64decode,
    "SS": lambda raw: {str(item) for item in raw},
    "NS": lambda raw: {NUMBERS.create_decimal(item) for item in raw},
    "BS": lambda raw: {base64.b64decode(item) for item in raw},
    "L": lambda raw: [value_of(item) for item in raw],
    "M": plain,
}
