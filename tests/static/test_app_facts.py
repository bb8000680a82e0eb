"""The graders' facts about the app (sandbox/static/app_facts.py) match the app itself."""

from __future__ import annotations

import re

from flask import Flask

from app import health, metrics, openapi, users
from sandbox.static.app_facts import (
    APP_PORT,
    APP_UID,
    KNOWN_ENV,
    PROBE_PATHS,
    REQUIRED_ENV,
    SERVED_PATHS,
)
from sandbox.static.dockerfile_model import env_pairs, parse
from tests.static.conftest import REPO


def app_url_map() -> set[str]:
    """The app's routes, registered the way create_app() does, without a database."""
    flask_app = Flask("facts")
    for blueprint in (health.bp, openapi.bp, users.bp):
        flask_app.register_blueprint(blueprint)
    flask_app.add_url_rule("/metrics", "metrics", metrics.render)
    return {
        rule.rule
        for rule in flask_app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "static"
    }


def test_served_paths_are_the_apps_parameterless_get_routes() -> None:
    assert app_url_map() == set(SERVED_PATHS)


def test_probe_paths_are_served() -> None:
    assert set(PROBE_PATHS.values()) <= SERVED_PATHS


def test_known_settings_are_the_ones_the_app_reads() -> None:
    config = (REPO / "app" / "config.py").read_text()
    gunicorn = (REPO / "app" / "gunicorn.conf.py").read_text()
    read = set(re.findall(r'reader\.\w+\(\s*"([A-Z_]+)"', config))
    read |= set(re.findall(r'environ(?:\.get\(|\.setdefault\(|\[)\s*"([A-Z_]+)"', gunicorn))
    read |= set(re.findall(r"environ\.get\('([A-Z_]+)'", gunicorn))
    assert read == set(KNOWN_ENV)
    assert set(REQUIRED_ENV) == {"DATABASE_URL", "REDIS_URL"}


def test_port_and_user_match_the_image() -> None:
    dockerfile = parse((REPO / "app" / "Dockerfile").read_bytes())
    final = dockerfile.stages[-1]
    env = dict(pair for i in final.all("ENV") for pair in env_pairs(i))
    assert env["BIND"] == f"0.0.0.0:{APP_PORT}"
    user = final.last("USER")
    assert user is not None
    assert user.value == f"{APP_UID}:{APP_UID}"
