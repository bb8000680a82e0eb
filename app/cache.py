"""A Redis read-through cache for user lists that never makes a request fail.

Pages are filed under the list's generation, a counter PostgreSQL bumps in the same
transaction as every change to users (see MIGRATIONS in app/db.py): one hash per generation,
one field per page. A reader first asks PostgreSQL for the current generation, so no write
ever needs to reach Redis, and no page can be served after a newer write: not when a slow
reader stores its page after the write, not when Redis comes back from its append-only file
with pages older than writes it missed. Old generations expire with the TTL.
When Redis is down, reads fall back to PostgreSQL and the failure shows in metrics and /ready.
"""

from __future__ import annotations

import logging

import redis

from app.metrics import CACHE_OPERATIONS

log = logging.getLogger("app.cache")
USERS_LIST_PREFIX = "users:list:"


def page_key(generation: int) -> str:
    return f"{USERS_LIST_PREFIX}{generation}"


class Cache:
    def __init__(self, url: str, ttl: int, enabled: bool = True) -> None:
        self.ttl = ttl
        self.enabled = enabled
        # Short timeouts: a dead cache must cost milliseconds, not a stalled request.
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=0.25, socket_timeout=0.5, retry_on_timeout=False
        )

    def get_page(self, generation: int, page: str) -> bytes | None:
        """The cached JSON text of a page (served as is: no decode and re-encode)."""
        if not self.enabled:
            return None
        try:
            raw = self.client.hget(page_key(generation), page)
        except redis.RedisError as err:
            self._failed("get", err)
            return None
        CACHE_OPERATIONS.labels("get", "hit" if raw is not None else "miss").inc()
        if raw is None:
            return None
        return raw if isinstance(raw, bytes) else raw.encode()

    def set_page(self, generation: int, page: str, body: bytes) -> None:
        """File a page under the generation it was read at (never a later one)."""
        if not self.enabled:
            return
        try:
            with self.client.pipeline(transaction=True) as pipe:
                pipe.hset(page_key(generation), page, body)
                pipe.expire(page_key(generation), self.ttl)
                pipe.execute()
        except redis.RedisError as err:
            self._failed("set", err)
            return
        CACHE_OPERATIONS.labels("set", "ok").inc()

    def ping(self) -> None:
        self.client.ping()

    def close(self) -> None:
        self.client.close()

    def _failed(self, operation: str, err: redis.RedisError) -> None:
        CACHE_OPERATIONS.labels(operation, "error").inc()
        log.warning("cache %s failed: %s", operation, err)
