"""The function's CloudWatch log, split into invocations (START ... END/REPORT blocks)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

_START = re.compile(r"^START RequestId: (\S+)")
_FRAMING = ("START RequestId", "END RequestId", "REPORT RequestId")
_ERROR_MARKERS = ('"level": "ERROR"', "Traceback", "errorMessage", "[ERROR]", "Task timed out")


@dataclass
class Invocation:
    request_id: str
    started_ms: int
    lines: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(marker in line for line in self.lines for marker in _ERROR_MARKERS)

    def mentions(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def error_lines(self) -> list[str]:
        """From the first error line on (a traceback's body has no marker), framing removed."""
        body = [ln for ln in self.lines if not ln.startswith(_FRAMING)]
        first = next((i for i, ln in enumerate(body) if any(m in ln for m in _ERROR_MARKERS)), 0)
        return body[first:]


def invocations_since(logs_client: Any, function: str, since_ms: int) -> list[Invocation]:
    """Every invocation that started at or after `since_ms`, oldest first."""
    events = _events(logs_client, f"/aws/lambda/{function}", since_ms)
    found: list[Invocation] = []
    current: dict[str, Invocation] = {}
    for event in sorted(events, key=lambda e: (e["timestamp"], e.get("eventId", ""))):
        stream, message = event.get("logStreamName", ""), event["message"].rstrip("\n")
        match = _START.match(message)
        if match:
            current[stream] = Invocation(match[1], int(event["timestamp"]))
            found.append(current[stream])
        if stream in current:
            current[stream].lines.append(message)
    return found


def _events(logs_client: Any, group: str, since_ms: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": since_ms}
    try:
        while True:
            page = logs_client.filter_log_events(**kwargs)
            events.extend(page.get("events", []))
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return []  # no invocation has logged yet
        raise
