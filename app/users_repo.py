"""SQL for the users table; every statement is counted in db_operations_total."""

from __future__ import annotations

from typing import Any

import psycopg2.errors
from psycopg2.extras import RealDictCursor

from app.db import Connection, Database
from app.metrics import DB_OPERATIONS

COLUMN_NAMES = ("id", "email", "name", "created_at", "updated_at")
COLUMNS = ", ".join(COLUMN_NAMES)
# One statement, so one snapshot: the page, the total and the generation they belong to.
# A LEFT JOIN from the count keeps one row when the page is past the end.
LIST_PAGE = f"""
SELECT g.generation, c.total, u.*
FROM (SELECT count(*) AS total FROM users) AS c
LEFT JOIN users_list_generation AS g ON true
LEFT JOIN (
    SELECT {COLUMNS} FROM users ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s
) AS u ON true
ORDER BY u.created_at DESC, u.id DESC
"""


class DuplicateEmail(Exception):
    """Another user already has this email (case-insensitive)."""


def _row(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        **row,
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


def _run(
    db: Database, operation: str, sql: str, params: tuple[Any, ...], table: str = "users"
) -> list[dict[str, Any]]:
    """Run one statement (atomic on its own); a read is retried once on a lost connection,
    a write is not: it may have been applied."""
    DB_OPERATIONS.labels(operation, table).inc()

    def execute(conn: Connection) -> list[dict[str, Any]]:
        with conn.cursor(cursor_factory=RealDictCursor) as cur:
            cur.execute(sql, params)
            return [dict(r) for r in cur.fetchall()] if cur.description else []

    try:
        return db.run(execute, idempotent=operation == "select", one_statement=True)
    except psycopg2.errors.UniqueViolation as err:
        raise DuplicateEmail from err


def list_generation(db: Database) -> int | None:
    """The users list's current generation (None if its row is missing: then do not cache)."""
    sql = "SELECT generation FROM users_list_generation"
    rows = _run(db, "select", sql, (), table="users_list_generation")
    return int(rows[0]["generation"]) if rows else None


def list_page(db: Database, limit: int, offset: int) -> tuple[int | None, dict[str, Any]]:
    """A page of users, newest first, with the list generation it was read at."""
    rows = _run(db, "select", LIST_PAGE, (limit, offset))
    generation, total = rows[0]["generation"], rows[0]["total"]
    items = [_row(_user(row)) for row in rows if row["id"] is not None]
    return generation, {"items": items, "limit": limit, "offset": offset, "total": total}


def _user(row: dict[str, Any]) -> dict[str, Any]:
    return {column: row[column] for column in COLUMN_NAMES}


def get(db: Database, user_id: int) -> dict[str, Any] | None:
    rows = _run(db, "select", f"SELECT {COLUMNS} FROM users WHERE id = %s", (user_id,))
    return _row(rows[0]) if rows else None


def create(db: Database, email: str, name: str | None) -> dict[str, Any]:
    rows = _run(
        db,
        "insert",
        f"INSERT INTO users (email, name) VALUES (%s, %s) RETURNING {COLUMNS}",
        (email, name),
    )
    created = _row(rows[0])
    assert created is not None
    return created


def update(db: Database, user_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Set the given columns (email and/or name); None when the user does not exist."""
    assignments = ", ".join(f"{column} = %s" for column in changes)  # keys are validated names
    rows = _run(
        db,
        "update",
        f"UPDATE users SET {assignments}, updated_at = now() WHERE id = %s RETURNING {COLUMNS}",
        (*changes.values(), user_id),
    )
    return _row(rows[0]) if rows else None


def delete(db: Database, user_id: int) -> bool:
    rows = _run(db, "delete", "DELETE FROM users WHERE id = %s RETURNING id", (user_id,))
    return bool(rows)
