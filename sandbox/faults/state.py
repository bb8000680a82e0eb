"""The state file: the proxies (name, listen, upstream), so a restart brings them back.

Toxics and ``enabled`` are never written: both are faults, and faults never outlive the
process that injected them. The file is replaced atomically; one that cannot be read is
reported in the log and ignored (the server starts with no proxies rather than not at all).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sandbox import atomicfile
from sandbox.faults.model import ApiError, ProxyConfig, proxy_to_create

log = logging.getLogger("sandbox.faults")

FORMAT_VERSION = 1


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[ProxyConfig]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as err:
            log.warning("faults: ignoring the unreadable state file %s: %s", self.path, err)
            return []
        return _proxies(data, self.path)

    def save(self, proxies: Iterable[ProxyConfig]) -> None:
        kept = [{"name": p.name, "listen": p.listen, "upstream": p.upstream} for p in proxies]
        data = {"version": FORMAT_VERSION, "proxies": kept}
        try:
            atomicfile.write_text(self.path, json.dumps(data, indent=2) + "\n")
        except OSError as err:
            # The proxies still work; only a restart would forget them. Say so, don't fail.
            log.error("faults: cannot write the state file %s: %s", self.path, err.strerror)


def _proxies(data: Any, path: Path) -> list[ProxyConfig]:
    items = data.get("proxies") if isinstance(data, dict) else None
    if not isinstance(items, list):
        log.warning("faults: ignoring the state file %s: it has no list of proxies", path)
        return []
    proxies = []
    for item in items:
        try:
            proxies.append(proxy_to_create(item))
        except ApiError as err:
            log.warning("faults: skipping a proxy in %s: %s", path, err.message)
    return proxies
