"""The proxies by name, with Toxiproxy's rules for creating, updating, populating and
resetting them; every change of the proxy list is written to the state file.

Changes that listen or stop listening wait on the event loop, so they are taken one at a
time (a lock): two requests creating the same name cannot both succeed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from sandbox.faults.model import ApiError, ProxyConfig, proxy_after_update, proxy_not_found
from sandbox.faults.proxy import Proxy
from sandbox.faults.state import StateStore

log = logging.getLogger("sandbox.faults")


class Registry:
    def __init__(self, store: StateStore | None = None) -> None:
        self._proxies: dict[str, Proxy] = {}
        self._store = store
        self._lock = asyncio.Lock()

    def proxies(self) -> list[Proxy]:
        return list(self._proxies.values())

    def get(self, name: str) -> Proxy:
        proxy = self._proxies.get(name)
        if proxy is None:
            raise proxy_not_found(name)
        return proxy

    async def create(self, config: ProxyConfig) -> Proxy:
        async with self._lock:
            proxy = await self._create(config)
            self._save()
            return proxy

    async def update(self, name: str, data: Any) -> Proxy:
        async with self._lock:
            proxy = self.get(name)
            try:
                await proxy.reconfigure(proxy_after_update(proxy.config, data))
            finally:
                self._save()  # a failed restart still moved the proxy (as in Toxiproxy)
            return proxy

    async def delete(self, name: str) -> None:
        async with self._lock:
            proxy = self.get(name)
            await proxy.stop()
            del self._proxies[name]
            self._save()
            log.info("proxy %s: deleted", name)

    async def populate(self, configs: list[ProxyConfig]) -> tuple[list[Proxy], ApiError | None]:
        """Create or replace each proxy; one whose listen and upstream are unchanged is left
        alone (toxics and all). Stops at the first failure and says which were applied."""
        done: list[Proxy] = []
        async with self._lock:
            try:
                for config in configs:
                    done.append(await self._create_or_replace(config))
            except ApiError as err:
                return done, err
            finally:
                self._save()
        return done, None

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic (POST /reset, and `sandbox fault
        reset`); a proxy that cannot listen again is reported after the others are done."""
        failures: list[ApiError] = []
        async with self._lock:
            for proxy in self._proxies.values():
                proxy.clear_toxics()
                try:
                    await proxy.start()
                except ApiError as err:
                    failures.append(err)
        if failures:
            raise failures[0]

    async def restore(self) -> None:
        """Bring back the proxies of the state file, enabled and without toxics; one that
        cannot listen stays, disabled, so the person sees it and can move it."""
        if self._store is None:
            return
        for config in self._store.load():
            try:
                await self.create(config)
            except ApiError as err:
                log.warning("proxy %s: not restored as enabled: %s", config.name, err.message)
                self._proxies[config.name] = Proxy(replace(config, enabled=False))

    async def close(self) -> None:
        """Stop every proxy (the server is exiting); the state file keeps them."""
        for proxy in self._proxies.values():
            await proxy.stop()

    async def _create(self, config: ProxyConfig) -> Proxy:
        if config.name in self._proxies:
            raise ApiError(f"proxy already exists: {config.name}", 409)
        proxy = Proxy(config)
        if config.enabled:
            await proxy.start()
        self._proxies[config.name] = proxy
        log.info("proxy %s: created (%s -> %s)", config.name, proxy.listen, proxy.upstream)
        return proxy

    async def _create_or_replace(self, config: ProxyConfig) -> Proxy:
        existing = self._proxies.get(config.name)
        if existing is not None:
            if (existing.listen, existing.upstream) == (config.listen, config.upstream):
                return existing
            await existing.stop()
            del self._proxies[config.name]
        return await self._create(config)

    def _save(self) -> None:
        if self._store is not None:
            self._store.save(proxy.config for proxy in self._proxies.values())
