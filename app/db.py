"""PostgreSQL: a thread-safe connection pool and idempotent schema migrations."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg2
import psycopg2.extensions
import psycopg2.pool

# Each migration runs once, in order, inside one transaction; never edit a released one.
MIGRATIONS: tuple[str, ...] = (
    """
    -- IF NOT EXISTS: a database where an earlier version of the app (a lab's starter)
    -- already made a users table is adopted as it is.
    CREATE TABLE IF NOT EXISTS users (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (lower(email));
    CREATE INDEX IF NOT EXISTS users_created_at_idx ON users (created_at DESC, id DESC);
    """,
)
MIGRATION_LOCK = 7_204_311  # advisory lock id: workers starting together migrate one at a time

Connection = psycopg2.extensions.connection


class Database:
    """A pool of connections; `transaction()` lends one and commits or rolls back."""

    def __init__(self, url: str, max_connections: int) -> None:
        self.url = url
        # minconn=0 so starting the app opens no connection. psycopg2 closes a returned
        # connection when the pool already holds `minconn`, so raise it afterwards: the pool
        # then connects lazily and keeps (reuses) up to `max_connections`.
        self.pool = psycopg2.pool.ThreadedConnectionPool(
            0, max_connections, url, connect_timeout=3, application_name="cloud-native-app"
        )
        self.pool.minconn = max_connections

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        conn = self.pool.getconn()
        broken = False
        try:
            with conn:  # commits on success, rolls back on error
                yield conn
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            broken = True
            raise
        finally:
            self.pool.putconn(conn, close=broken or bool(conn.closed))

    def ping(self) -> None:
        with self.transaction() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")

    def migrate(self) -> int:
        """Apply pending migrations; return how many ran. Safe to call from every worker."""
        with self.transaction() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
            row = cur.fetchone()
            current = int(row[0]) if row else 0
            for version, sql in enumerate(MIGRATIONS[current:], start=current + 1):
                cur.execute(sql)
                cur.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
            return len(MIGRATIONS) - current

    def close(self) -> None:
        if not self.pool.closed:
            self.pool.closeall()


class DatabaseUnavailable(Exception):
    """The database did not answer in time; the message says where and what to check."""


def migrate_when_available(url: str, max_connections: int, timeout: float) -> int:
    """Retry until the database answers (it may still be starting), then migrate."""
    database = Database(url, max_connections)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                return database.migrate()
            except psycopg2.OperationalError as err:
                if time.monotonic() >= deadline:
                    raise DatabaseUnavailable(_unreachable(url, timeout, err)) from err
                time.sleep(0.5)
    finally:
        database.close()


def _unreachable(url: str, timeout: float, err: Exception) -> str:
    where = urlsplit(url)
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return (
        f"database at {where.hostname}:{where.port or 5432} did not answer within {timeout:g} s"
        f" ({reason}); check DATABASE_URL and that PostgreSQL is running"
    )
