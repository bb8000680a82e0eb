"""Probes: /health (started), /health/live (not shutting down), /ready (backing services)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

from app import lifecycle
from app.problems import problem

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Response:
    config = current_app.config["APP"]
    return jsonify(
        status="ok", app=config.app_name, version=config.app_version, environment=config.environment
    )


@bp.get("/health/live")
def live() -> Response:
    if lifecycle.of(current_app).shutting_down.is_set():
        return problem(503, "Service Unavailable", "shutting down", status_text="shutting down")
    return jsonify(status="alive")


@bp.get("/ready")
def ready() -> Response:
    app = current_app
    checks = {"database": _run(app.extensions["database"].ping)}
    if app.config["APP"].enable_caching:
        checks["cache"] = _run(app.extensions["cache"].ping)
    failed = sorted(name for name, result in checks.items() if result["status"] != "ok")
    if failed or lifecycle.of(app).shutting_down.is_set():
        detail = f"not ready: {', '.join(failed)} failing" if failed else "shutting down"
        return problem(503, "Service Unavailable", detail, checks=checks)
    return jsonify(status="ready", checks=checks)


def _run(check: Callable[[], None]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
        result: dict[str, Any] = {"status": "ok"}
    except Exception as err:
        result = {"status": "fail", "error": f"{type(err).__name__}: {str(err).strip()[:200]}"}
    result["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
