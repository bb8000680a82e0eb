"""s3_object: an object exists (or not) under a key or prefix, optionally with content."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pydantic import model_validator

from sandbox.aws.clients import client
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params


class S3Params(Params):
    bucket: str
    key: str | None = None
    prefix: str | None = None
    exists: bool = True
    contains: str | None = None

    @model_validator(mode="after")
    def _key_or_prefix(self) -> S3Params:
        if (self.key is None) == (self.prefix is None):
            raise ValueError("give either key or prefix")
        return self


def evaluate(params: S3Params, ctx: CheckContext) -> Outcome:
    s3 = client("s3", ctx.endpoints["aws"])
    where = f"s3://{params.bucket}/{params.key or params.prefix + '*'}"  # type: ignore[operator]
    try:
        keys = _keys(s3, params)
    except ClientError as err:  # the emulator's answer, e.g. NoSuchBucket
        return Outcome.failed(f"could not list {where}: {err}")
    if not params.exists:
        return Outcome.failed(f"{where} exists") if keys else Outcome.passed(f"{where} absent")
    if not keys:
        return Outcome.failed(f"no object at {where}")
    if params.contains is not None:
        body = s3.get_object(Bucket=params.bucket, Key=keys[0])["Body"].read()
        if params.contains.encode() not in body:
            return Outcome.failed(f"{keys[0]} does not contain {params.contains!r}")
    return Outcome.passed(f"{where}: {len(keys)} object(s)")


def _keys(s3: Any, params: S3Params) -> list[str]:
    prefix = params.key if params.key is not None else params.prefix
    listed = s3.list_objects_v2(Bucket=params.bucket, Prefix=prefix).get("Contents", [])
    keys = [str(o["Key"]) for o in listed]
    return [k for k in keys if k == params.key] if params.key is not None else keys


EXAMPLE = {"bucket": "sandbox-uploads", "prefix": "reports/", "contains": "total"}
KIND = CheckKind(
    "s3_object",
    S3Params,
    evaluate,
    needs=("aws",),
    example=EXAMPLE,
    summary="An S3 object exists (or not) under a key or prefix, optionally with content.",
)
