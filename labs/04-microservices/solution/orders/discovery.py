"""Finding the users service through AWS Cloud Map, healthy instances only.

The sandbox registers every running service in the HTTP namespace "sandbox" (a service
behind a fault proxy is registered at the proxy's address) and marks instances HEALTHY or
UNHEALTHY. An address found is kept a few seconds, and forgotten as soon as a call to it
fails, so a moved service is found again on the next attempt.
"""

from __future__ import annotations

import os
import random
import threading
import time

import boto3
from botocore.config import Config

NAMESPACE = os.environ.get("SANDBOX_NAMESPACE", "sandbox")
CACHE_SECONDS = 5.0

# DiscoverInstances prefixes the host with "data-": fine on AWS, broken on an IP endpoint.
_cloudmap = boto3.client(
    "servicediscovery",
    config=Config(
        inject_host_prefix=False,
        connect_timeout=0.5,
        read_timeout=1,
        retries={"mode": "standard", "total_max_attempts": 2},
    ),
)
_cache: dict[str, tuple[float, list[str]]] = {}
_lock = threading.Lock()


class NoHealthyInstance(Exception):
    """Cloud Map knows no healthy instance of the service."""


def base_url(service: str) -> str:
    """http://host:port of one healthy instance of `service`, chosen at random."""
    return random.choice(_urls(service))  # noqa: S311 - load spreading, not security


def forget(service: str) -> None:
    """A call failed: look the service up again next time."""
    with _lock:
        _cache.pop(service, None)


def _urls(service: str) -> list[str]:
    with _lock:
        cached = _cache.get(service)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    answer = _cloudmap.discover_instances(
        NamespaceName=NAMESPACE, ServiceName=service, HealthStatus="HEALTHY"
    )
    urls = [_url(i["Attributes"]) for i in answer["Instances"]]
    if not urls:
        raise NoHealthyInstance(f"no healthy instance of {service} in namespace {NAMESPACE}")
    with _lock:
        _cache[service] = (time.monotonic(), urls)
    return urls


def _url(attributes: dict[str, str]) -> str:
    return f"http://{attributes['AWS_INSTANCE_IPV4']}:{attributes['AWS_INSTANCE_PORT']}"
