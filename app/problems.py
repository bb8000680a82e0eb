"""RFC 9457 problem+json responses for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

import psycopg2
import psycopg2.pool
from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from app.db import ConnectionLost

CONTENT_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = "5"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
log = logging.getLogger("app.errors")


class ApiError(Exception):
    """Raised by views for a client mistake; rendered as a problem document."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(json.dumps(body), status=status, content_type=CONTENT_TYPE)


def _title(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    # Every database failure is a 503 with Retry-After, never a 500.
    app.register_error_handler(psycopg2.OperationalError, _backing_service_down)
    app.register_error_handler(psycopg2.InterfaceError, _backing_service_down)
    app.register_error_handler(psycopg2.pool.PoolError, _backing_service_down)
    app.register_error_handler(ConnectionLost, _connection_lost)
    app.register_error_handler(Exception, _unexpected)


def _api_error(err: ApiError) -> Response:
    return problem(err.status, _title(err.status), err.detail, **err.extra)


def _http_error(err: HTTPException) -> Response:
    status = err.code or 500
    response = problem(status, _title(status), err.description or _title(status))
    for key, value in err.get_headers():  # keeps Allow on 405
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def _backing_service_down(err: Exception) -> Response:
    log.error("database unavailable: %s", str(err).strip())
    return _unavailable("the database is unavailable; retry shortly")


def _connection_lost(err: ConnectionLost) -> Response:
    if request.method in SAFE_METHODS:
        return _backing_service_down(err)
    log.error("database connection lost during a %s: %s", request.method, str(err).strip())
    return _unavailable(
        "the connection to the database was lost during the request: the change may or may"
        " not have been saved; check before retrying"
    )


def _unavailable(detail: str) -> Response:
    response = problem(503, "Service Unavailable", detail)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def _unexpected(err: Exception) -> Response:
    log.exception("unhandled error")
    return problem(500, "Internal Server Error", "an unexpected error occurred")
