"""How orders talks to the users service."""

from __future__ import annotations

import os
from typing import Any

import requests

# Where users lives. Fixed at start-up: if users moves, orders keeps calling the old address.
USERS_URL = os.environ["USERS_URL"]


def fetch_user(user_id: int) -> dict[str, Any] | None:
    """The user, or None when users says there is no such user."""
    response = requests.get(f"{USERS_URL}/users/{user_id}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    user: dict[str, Any] = response.json()
    return user
