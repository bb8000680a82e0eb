"""The processor's unit tests run offline: no AWS, no emulator. Every write goes to
`stored` instead of DynamoDB, and the API publishes nothing."""

from __future__ import annotations

from typing import Any

import api
import pytest
import sources


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []

    def put_event(event_id: str, event_type: str, source: str, data: Any, timestamp: str = ""):
        items.append(
            {
                "event_id": event_id,
                "event_type": event_type,
                "source": source,
                "data": data,
                "timestamp": timestamp,
            }
        )
        return True

    monkeypatch.setattr(sources, "put_event", put_event)
    monkeypatch.setattr(api, "put_event", put_event)
    monkeypatch.setattr(api, "_publish", lambda *args: None)
    return items
