"""A Redis read-through cache for user lists that never makes a request fail.

Every list page lives in one hash, so a write invalidates all pages with one DEL. When Redis
is down, reads fall back to PostgreSQL and the failure shows in metrics and /ready.
"""

from __future__ import annotations

import logging

import redis

from app.metrics import CACHE_OPERATIONS

log = logging.getLogger("app.cache")
USERS_LIST_KEY = "users:list"


class Cache:
    def __init__(self, url: str, ttl: int, enabled: bool = True) -> None:
        self.ttl = ttl
        self.enabled = enabled
        # Short timeouts: a dead cache must cost milliseconds, not a stalled request.
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=0.25, socket_timeout=0.5, retry_on_timeout=False
        )

    def get_page(self, page: str) -> bytes | None:
        """The cached JSON text of a page (served as is: no decode and re-encode)."""
        if not self.enabled:
            return None
        try:
            raw = self.client.hget(USERS_LIST_KEY, page)
        except redis.RedisError as err:
            self._failed("get", err)
            return None
        CACHE_OPERATIONS.labels("get", "hit" if raw is not None else "miss").inc()
        if raw is None:
            return None
        return raw if isinstance(raw, bytes) else raw.encode()

    def set_page(self, page: str, body: bytes) -> None:
        if not self.enabled:
            return
        try:
            with self.client.pipeline(transaction=True) as pipe:
                pipe.hset(USERS_LIST_KEY, page, body)
                pipe.expire(USERS_LIST_KEY, self.ttl)
                pipe.execute()
        except redis.RedisError as err:
            self._failed("set", err)
            return
        CACHE_OPERATIONS.labels("set", "ok").inc()

    def invalidate(self) -> None:
        if not self.enabled:
            return
        try:
            self.client.delete(USERS_LIST_KEY)
        except redis.RedisError as err:
            self._failed("delete", err)
            return
        CACHE_OPERATIONS.labels("delete", "ok").inc()

    def ping(self) -> None:
        self.client.ping()

    def close(self) -> None:
        self.client.close()

    def _failed(self, operation: str, err: redis.RedisError) -> None:
        CACHE_OPERATIONS.labels(operation, "error").inc()
        log.warning("cache %s failed: %s", operation, err)
