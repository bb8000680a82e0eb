"""One JSON object per log line: easy to search with `sandbox logs aws` and `sandbox fire`."""

from __future__ import annotations

import json
import sys
from typing import Any


def log_event(message: str, level: str = "INFO", **fields: Any) -> None:
    print(json.dumps({"level": level, "message": message, **fields}, default=str), file=sys.stdout)
    sys.stdout.flush()
