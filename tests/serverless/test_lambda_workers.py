"""Published versions do not each keep a warm worker for good: every lab 05 grading publishes
two, and each idle worker is a Python process of about 45 MB (services/lambda_workers.py)."""

from __future__ import annotations

import json
from pathlib import Path

import psutil

from sandbox.aws.clients import client
from sandbox.services.lambda_workers import KEPT_UNALIASED
from sandbox.stack.embedded import EmbeddedBackend
from tests.helpers import wait_for
from tests.serverless.conftest import deploy_handler

RELEASES = 6


def workers_of(stack: EmbeddedBackend, function: str) -> int:
    """The emulator's worker processes for `function` (each runs from a folder named for it)."""
    supervisor = psutil.Process(stack.status().supervisor_pid)
    marker = f"ministack-lambda-{function}-"
    return sum(1 for p in supervisor.children(recursive=True) if marker in " ".join(p.cmdline()))


def test_old_versions_give_their_workers_back_and_still_answer(
    running_stack: EmbeddedBackend, aws_endpoint: str, tmp_path: Path
) -> None:
    lam = client("lambda", aws_endpoint)
    versions = []
    for release in range(RELEASES):
        names = deploy_handler(aws_endpoint, tmp_path, "releases", f"return {release}")
        versions.append(lam.publish_version(FunctionName=names.function)["Version"])
        if release == 0:
            lam.create_alias(FunctionName=names.function, Name="live", FunctionVersion=versions[0])
        lam.invoke(FunctionName=names.function, Qualifier=versions[-1])

    # live's version, the ones used last, and the one that just ran: not one per release
    most = 1 + KEPT_UNALIASED + 1
    assert wait_for(lambda: workers_of(running_stack, names.function) <= most, timeout=10)
    for release, version in enumerate(versions):  # a stopped version starts again when asked
        answer = lam.invoke(FunctionName=names.function, Qualifier=version)
        assert json.loads(answer["Payload"].read()) == release
    assert (
        json.loads(lam.invoke(FunctionName=names.function, Qualifier="live")["Payload"].read()) == 0
    )
