"""What looks like a secret, in a manifest or a Dockerfile."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.I)


def looks_secret(name: str, value: Any) -> bool:
    """A secret-sounding name, or a URL that carries a password."""
    if SECRET_NAME.search(name):
        return True
    return isinstance(value, str) and "://" in value and bool(url_password(value))


def url_password(value: str) -> str | None:
    try:
        return urlsplit(value.strip()).password
    except ValueError:
        return None
