"""The smoke stage of a release: one sample event of each wired source, sent straight to the
new version (Invoke with its number as the qualifier), before any trigger can reach it.

This is the sandbox's canary. Emulators store an alias's routing weights but ignore them, so
no share of live traffic is shifted to the new version: it is tried here instead, and the
`live` alias moves only when every source's event succeeds. It stops at the first that fails.

An invocation passes when Lambda ran that very version (ExecutedVersion) without a function
error, an SQS batch reported no failed record, and an API answer is not an HTTP error. The
events carry a "smoke" marker, and the items they leave in the events table say so.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.aws.events import SOURCES  # every source a deploy wires
from sandbox.aws.names import Names
from sandbox.aws.samples import sample

LOG_LINES = 3  # the end of a failing invocation's log: where it raised, and the error


@dataclass
class SmokeCheck:
    source: str
    passed: bool
    detail: str
    executed_version: str
    duration_ms: float
    log: list[str] = field(default_factory=list)  # the end of the log, when it failed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def marker(source: str, version: str) -> Any:
    """What each source's sample carries instead of its default body: the smoke marker."""
    note = {"event_type": "release.smoke", "version": version}
    return {
        "s3": f"smoke/version-{version}.json",
        "sqs": note,
        "sns": note,
        "eventbridge": {"smoke": True, "version": version},
        "dynamodb": f"smoke-version-{version}",
        "api": {"event_type": "release.smoke", "data": {"version": version}},
    }[source]


def smoke_test(lam: Any, names: Names, version: str) -> list[SmokeCheck]:
    """Invoke `version` once with each source's sample event, in SOURCES' order, and stop at
    the first that fails, as a canary's analysis stops at its first failed metric: one failure
    decides the release, and each failed invocation costs the emulator a new worker."""
    checks = []
    for source in SOURCES:
        checks.append(_check(lam, names, version, source))
        if not checks[-1].passed:
            break
    return checks


def untried(checks: list[SmokeCheck]) -> list[str]:
    """The sources a smoke test stopped before."""
    tried = {check.source for check in checks}
    return [source for source in SOURCES if source not in tried]


def _check(lam: Any, names: Names, version: str, source: str) -> SmokeCheck:
    event = sample(source, None, names, marker(source, version))
    started = time.monotonic()
    answer = lam.invoke(FunctionName=names.function, Qualifier=version, LogType="Tail",
                        Payload=json.dumps(event).encode())  # fmt: skip
    took = round((time.monotonic() - started) * 1000, 1)
    executed = str(answer.get("ExecutedVersion") or version)
    why = failure(answer, _payload(answer), version)
    if why is None:
        return SmokeCheck(source, True, "ok", executed, took)
    return SmokeCheck(source, False, why, executed, took, _log_tail(answer))


def failure(answer: dict[str, Any], result: Any, version: str) -> str | None:
    """Why an invocation's answer is not a success, or None when it is."""
    if answer.get("FunctionError"):
        message = result.get("errorMessage", "") if isinstance(result, dict) else result
        return f"the function failed: {message}".rstrip(": ")
    executed = answer.get("ExecutedVersion")
    if executed and executed != version:
        return f"Lambda ran version {executed}, not {version}"
    if not isinstance(result, dict):
        return None
    if result.get("batchItemFailures"):
        return f"the batch reported failed records: {result['batchItemFailures']}"
    status = result.get("statusCode")
    if isinstance(status, int) and status >= 400:
        return f"the API answered {status}: {result.get('body', '')}"
    return None


def _payload(answer: dict[str, Any]) -> Any:
    raw = answer["Payload"].read().decode(errors="replace")
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return raw


def _log_tail(answer: dict[str, Any]) -> list[str]:
    lines = base64.b64decode(answer.get("LogResult", "")).decode(errors="replace").splitlines()
    body = [ln for ln in lines if ln.strip() and not ln.startswith(("START ", "END ", "REPORT "))]
    return body[-LOG_LINES:]
