"""Users API: a first version that works on a laptop, but is not yet a twelve-factor app.

Run under gunicorn: gunicorn -c app/gunicorn.conf.py 'app:create_app()'
"""

import logging
import os
from datetime import datetime

import psycopg2
import psycopg2.pool
import redis
from flask import Flask, jsonify, request
from psycopg2.extras import RealDictCursor

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("users-api")

# Settings for this deployment.
APP_VERSION = "0.1.0"
ENVIRONMENT = "development"
CACHE_TTL = 300

# Every gunicorn worker runs this at start; the lock makes them take turns (two concurrent
# CREATE TABLE IF NOT EXISTS can both try to create it, and one then crashes its worker).
SCHEMA = """
SELECT pg_advisory_xact_lock(72001);
CREATE TABLE IF NOT EXISTS users (
    id SERIAL PRIMARY KEY,
    email VARCHAR(255) UNIQUE NOT NULL,
    name VARCHAR(255),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)
"""


def create_app():
    app = Flask(__name__)
    pool = psycopg2.pool.ThreadedConnectionPool(1, 10, os.environ["DATABASE_URL"])
    cache = redis.Redis.from_url(os.environ["REDIS_URL"])
    _run(pool, SCHEMA)

    @app.get("/health")
    def health():
        return jsonify(status="ok", version=APP_VERSION, environment=ENVIRONMENT)

    @app.get("/api/users")
    def list_users():
        cached = cache.get("users:all")
        if cached:
            return app.response_class(cached, mimetype="application/json")
        rows = _run(pool, "SELECT id, email, name, created_at FROM users ORDER BY id DESC")
        body = jsonify(rows).get_data()
        cache.setex("users:all", CACHE_TTL, body)
        return app.response_class(body, mimetype="application/json")

    @app.post("/api/users")
    def create_user():
        data = request.get_json()
        try:
            rows = _run(
                pool,
                "INSERT INTO users (email, name) VALUES (%s, %s) RETURNING id, email, name",
                (data["email"], data.get("name")),
            )
        except Exception as err:
            log.error("error creating user: %s", err)
            return jsonify(error="Internal server error"), 500
        cache.delete("users:all")
        return jsonify(rows[0]), 201

    @app.get("/api/users/<int:user_id>")
    def get_user(user_id):
        rows = _run(pool, "SELECT id, email, name FROM users WHERE id = %s", (user_id,))
        if not rows:
            return jsonify(error="User not found"), 404
        return jsonify(rows[0])

    @app.put("/api/users/<int:user_id>")
    def update_user(user_id):
        data = request.get_json()
        rows = _run(
            pool,
            "UPDATE users SET name = %s, updated_at = %s WHERE id = %s RETURNING id, email, name",
            (data.get("name"), datetime.utcnow(), user_id),
        )
        if not rows:
            return jsonify(error="User not found"), 404
        cache.delete("users:all")
        return jsonify(rows[0])

    @app.delete("/api/users/<int:user_id>")
    def delete_user(user_id):
        rows = _run(pool, "DELETE FROM users WHERE id = %s RETURNING id", (user_id,))
        if not rows:
            return jsonify(error="User not found"), 404
        cache.delete("users:all")
        return jsonify(message="User deleted")

    return app


def _run(pool, sql, params=()):
    conn = pool.getconn()
    try:
        with conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
            cur.execute(sql, params)
            return [dict(row) for row in cur.fetchall()] if cur.description else []
    finally:
        pool.putconn(conn)
