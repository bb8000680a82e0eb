"""The built-in check kinds, one per file, collected into a registry by `builtin_registry`."""

from __future__ import annotations

from sandbox.labs.checks.base import CheckKind, Registry
from sandbox.labs.checks.command import KIND as COMMAND
from sandbox.labs.checks.dynamodb_item import KIND as DYNAMODB_ITEM
from sandbox.labs.checks.event import KIND as EVENT
from sandbox.labs.checks.fault import KIND as FAULT
from sandbox.labs.checks.file import KIND as FILE
from sandbox.labs.checks.http import KIND as HTTP
from sandbox.labs.checks.lambda_alias import KIND as LAMBDA_ALIAS
from sandbox.labs.checks.log_line import KIND as LOG_LINE
from sandbox.labs.checks.metric import KIND as METRIC
from sandbox.labs.checks.pipeline import KIND as PIPELINE
from sandbox.labs.checks.proxy_counters import KIND as PROXY_COUNTERS
from sandbox.labs.checks.s3_object import KIND as S3_OBJECT
from sandbox.labs.checks.service_moved import KIND as SERVICE_MOVED
from sandbox.labs.checks.sqs_depth import KIND as SQS_DEPTH
from sandbox.labs.checks.static_kinds import DOCKERFILE, MANIFEST
from sandbox.labs.checks.success_ratio import KIND as SUCCESS_RATIO
from sandbox.labs.checks.with_chaos import KIND as WITH_CHAOS
from sandbox.labs.checks.with_toxic import KIND as WITH_TOXIC

BUILTIN: tuple[CheckKind, ...] = (
    HTTP, METRIC, DYNAMODB_ITEM, S3_OBJECT, SQS_DEPTH, LOG_LINE, FILE, COMMAND, FAULT, EVENT,
    MANIFEST, DOCKERFILE,
    SUCCESS_RATIO,
    PROXY_COUNTERS,
    WITH_TOXIC,
    WITH_CHAOS,
    SERVICE_MOVED,
    PIPELINE,
    LAMBDA_ALIAS,
)  # fmt: skip


def builtin_registry() -> Registry:
    registry = Registry()
    for kind in BUILTIN:
        registry.add(kind)
    return registry
