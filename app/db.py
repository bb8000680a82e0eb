"""PostgreSQL: a thread-safe connection pool and idempotent schema migrations."""

from __future__ import annotations

import contextlib
import logging
import select
import time
from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar
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
    """
    -- The users list's cache generation: bumped by a trigger in the same transaction as
    -- every change to users (from the app or anywhere else), and read in the same snapshot
    -- as a page, so a cached page is always filed under the generation whose data it holds.
    -- It starts at the clock in microseconds: a new database never reuses the generations
    -- an earlier one left in a Redis that outlived it.
    CREATE TABLE IF NOT EXISTS users_list_generation (
        only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
        generation BIGINT NOT NULL
            DEFAULT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
    );
    INSERT INTO users_list_generation DEFAULT VALUES ON CONFLICT DO NOTHING;
    CREATE OR REPLACE FUNCTION users_list_generation_bump() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE users_list_generation SET generation = generation + 1;
        RETURN NULL;
    END;
    $$;
    DROP TRIGGER IF EXISTS users_list_generation_bump ON users;
    CREATE TRIGGER users_list_generation_bump
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
        FOR EACH STATEMENT EXECUTE FUNCTION users_list_generation_bump();
    """,
)
MIGRATION_LOCK = 7_204_311  # advisory lock id: workers starting together migrate one at a time

Connection = psycopg2.extensions.connection
T = TypeVar("T")
log = logging.getLogger("app.db")


class ConnectionLost(psycopg2.OperationalError):
    """The connection dropped while lent out: whether a write was applied is unknown."""


class CheckedPool(psycopg2.pool.ThreadedConnectionPool):
    """Hands out only idle connections the server has not closed in the meantime.

    A restart of PostgreSQL closes every pooled connection at once; checking each before
    lending it (a poll of its socket, no round trip) drops them all, then connects afresh.
    """

    def getconn(self, key: Hashable | None = None) -> Connection:
        for _ in range(self.maxconn):
            conn = super().getconn(key)
            if not closed_by_server(conn):
                return conn
            self.putconn(conn, close=True)
        return super().getconn(key)  # the pool is empty by now: a new connection


def closed_by_server(conn: Connection) -> bool:
    """True when an idle connection has something to read: on a PostgreSQL connection that
    is the server's goodbye (shutdown, pg_terminate_backend) or the end of the stream."""
    if conn.closed:
        return True
    poller = select.poll()
    poller.register(conn, select.POLLIN)
    return bool(poller.poll(0))


class Database:
    """A pool of connections; `run()` lends one for a transaction, commits or rolls back."""

    def __init__(self, url: str, max_connections: int) -> None:
        self.url = url
        # minconn=0 so starting the app opens no connection. psycopg2 closes a returned
        # connection when the pool already holds `minconn`, so raise it afterwards: the pool
        # then connects lazily and keeps (reuses) up to `max_connections`.
        self.pool = CheckedPool(
            0, max_connections, url, connect_timeout=3, application_name="cloud-native-app"
        )
        self.pool.minconn = max_connections

    def run(
        self, work: Callable[[Connection], T], idempotent: bool = False, one_statement: bool = False
    ) -> T:
        """`work(conn)` in one transaction. Idempotent work whose connection dropped runs
        once more, on another connection: a read must not fail for a stale connection.
        Work of one statement runs in autocommit mode: as atomic, one round trip (psycopg2
        otherwise sends BEGIN and COMMIT apart)."""
        try:
            return self._run_once(work, one_statement)
        except ConnectionLost as err:
            if not idempotent:
                raise
            log.warning("database connection lost, retrying once: %s", err)
            return self._run_once(work, one_statement)

    def _run_once(self, work: Callable[[Connection], T], autocommit: bool) -> T:
        with self.transaction(autocommit) as conn:
            return work(conn)

    @contextlib.contextmanager
    def transaction(self, autocommit: bool = False) -> Iterator[Connection]:
        """Lend a connection; raise ConnectionLost when it drops before the commit ends."""
        conn = self.pool.getconn()
        broken = False
        try:
            conn.autocommit = autocommit  # pooled connections keep the last borrower's mode
            # psycopg2's `with conn` commits on success, rolls back on error, and would send
            # BEGIN even in autocommit mode.
            with contextlib.nullcontext(conn) if autocommit else conn:
                yield conn
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as err:
            broken = True
            if conn.closed:  # also when rolling back a dead one raised InterfaceError instead
                raise ConnectionLost(_first_line(err.__context__ or err)) from err
            raise
        finally:
            self.pool.putconn(conn, close=broken or bool(conn.closed))

    def ping(self) -> None:
        self.run(_select_one, idempotent=True, one_statement=True)

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


def _select_one(conn: Connection) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT 1")


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _unreachable(url: str, timeout: float, err: Exception) -> str:
    where = urlsplit(url)
    reason = _first_line(err)
    return (
        f"database at {where.hostname}:{where.port or 5432} did not answer within {timeout:g} s"
        f" ({reason}); check DATABASE_URL and that PostgreSQL is running"
    )
