"""The event processor: one entry point, one handler per event source.

Every record becomes one item in the events table (EVENTS_TABLE), written with a
conditional put on a deterministic id, so a redelivered record is stored once.
Configuration comes only from the environment; AWS clients are built on first use, with
the endpoint boto3 reads from AWS_ENDPOINT_URL (the emulator sets it).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sources
from api import handle_api
from log import log_event

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any) -> Any:
    kind = sources.kind_of(event)
    log_event("received", kind=kind, request_id=getattr(context, "aws_request_id", ""))
    if kind == "api":
        return handle_api(event)
    if kind == "unknown":
        log_event("unrecognised event", level="ERROR", keys=sorted(event)[:10])
        raise ValueError("unrecognised event shape: " + json.dumps(sorted(event)[:10]))
    return sources.HANDLERS[kind](event)
