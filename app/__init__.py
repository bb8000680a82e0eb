"""The twelve-factor Flask app: users API on PostgreSQL with a Redis cache, probes, metrics.

gunicorn -c app/gunicorn.conf.py 'app:create_app()'
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask

from app import health, lifecycle, logs, metrics, openapi, problems, requests_log, users
from app.cache import Cache
from app.config import AppConfig, ConfigError
from app.db import Database

__all__ = ["AppConfig", "ConfigError", "create_app"]
log = logging.getLogger("app")


def create_app(config: AppConfig | Mapping[str, str] | None = None) -> Flask:
    """Build the app. `config` is an AppConfig, a mapping read like the environment, or None
    to read os.environ. Raises ConfigError for a bad setting and psycopg2 errors when the
    database cannot be migrated."""
    settings = config if isinstance(config, AppConfig) else AppConfig.from_env(config)
    logs.configure(settings.log_level_number)
    app = Flask(__name__)
    app.config.update(APP=settings, MAX_CONTENT_LENGTH=64 * 1024, JSON_SORT_KEYS=False)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    database = Database(settings.database_url, settings.database_pool_size)
    database.migrate()
    app.extensions["database"] = database
    app.extensions["cache"] = Cache(settings.redis_url, settings.cache_ttl, settings.enable_caching)
    lifecycle.init_app(app)
    problems.init_app(app)
    requests_log.init_app(app)
    for module in (health, users, openapi):
        module.init_app(app)
    if settings.enable_metrics:
        app.add_url_rule("/metrics", "metrics", metrics.render)
    log.info("started %s %s (%s)", settings.app_name, settings.app_version, settings.environment)
    return app
