"""What the graders know about our app (app/): its port, paths, user and settings.

tests/static/test_app_facts.py compares these with the app itself, so they cannot drift.
"""

from __future__ import annotations

APP_PORT = 8080  # the image sets BIND=0.0.0.0:8080
APP_UID = 10001  # the image's USER
# Paths the app serves to a plain GET without parameters (what a probe can use).
SERVED_PATHS = frozenset(
    {"/health", "/health/live", "/ready", "/metrics", "/openapi.json", "/api/users"}
)
# The endpoint made for each probe, and why the others are wrong for it.
PROBE_PATHS = {
    "livenessProbe": "/health/live",
    "readinessProbe": "/ready",
    "startupProbe": "/health",
}
REQUIRED_ENV = ("DATABASE_URL", "REDIS_URL")
KNOWN_ENV = frozenset(
    {
        *REQUIRED_ENV,
        "CACHE_TTL",
        "DATABASE_POOL_SIZE",
        "LOG_LEVEL",
        "APP_NAME",
        "APP_VERSION",
        "ENVIRONMENT",
        "ENABLE_CACHING",
        "ENABLE_METRICS",
        "DATABASE_STARTUP_TIMEOUT",
        "BIND",
        "PORT",
        "WEB_CONCURRENCY",
        "THREADS",
        "GRACEFUL_TIMEOUT",
        "PROMETHEUS_MULTIPROC_DIR",
    }
)
# Where the app writes at run time (PROMETHEUS_MULTIPROC_DIR=/tmp/metrics, gunicorn's worker
# files): under a read-only root filesystem it needs a writable volume there.
WRITABLE_DIR = "/tmp"  # noqa: S108 (a path inside the container, not used here)
