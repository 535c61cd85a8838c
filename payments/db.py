"""Declarative base, engine and session factory, and the SQLite settings we rely on.

SQLite runs in WAL mode with foreign keys on, a busy timeout, full durability, and every
transaction opened with BEGIN IMMEDIATE: writers queue for the lock up front instead of
failing half-way when a read lock cannot be upgraded. On PostgreSQL, writers that extend a
hash chain serialise on a transaction-scoped advisory lock (`serialize_writers`).
"""

import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Engine, Integer, MetaData, Table, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

log = logging.getLogger(__name__)
SQLITE_BUSY_TIMEOUT_MS = 30_000

# 64-bit keys on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-numbered rowid.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for bulk Core inserts (`__table__` is typed as any FromClause)."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which stores text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: use payments.clock.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine with our connection settings. `read_only` engines refuse every write, and on
    SQLite their transactions read a snapshot without taking the write lock, so a helper
    process reading alongside a writer never waits for it (nor it for them)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
        event.listen(engine, "connect", _configure_postgres_connection)
        if read_only:
            event.listen(engine, "connect", _postgres_read_only)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
    event.listen(engine, "connect", _configure_sqlite_connection)
    if read_only:
        event.listen(engine, "connect", _sqlite_read_only)
        event.listen(engine, "begin", _begin_deferred)
    else:
        event.listen(engine, "begin", _begin_immediate)
    return engine


def shareable_url(bind: Any) -> str | None:
    """The URL another process opens this very database with (password included: hand it over
    a pipe, never a command line), or None when no other process would see the same data: an
    in-memory SQLite database, or a bind that is not an engine (a session bound to one
    connection may hold work no other connection sees yet)."""
    if not isinstance(bind, Engine):
        return None
    url = bind.url
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or url.query.get("mode") == "memory"
    ):
        return None
    return url.render_as_string(hide_password=False)


def _configure_postgres_connection(dbapi_connection: Any, _record: Any) -> None:
    # psycopg prepares a statement run five times on a connection, and PostgreSQL may then plan
    # it once for any parameters (a generic plan), from the statistics of that moment. A bulk
    # run starts on nearly empty ledger tables, so a per-chunk lookup kept a plan that scanned
    # every row written so far: an accrual of 100,000 people spent most of its time there (a
    # chunk took 0.5 s by the end instead of 30 ms). Planning for each call's own values costs
    # well under a millisecond.
    _set_for_the_session(dbapi_connection, "SET plan_cache_mode = force_custom_plan")


def _set_for_the_session(dbapi_connection: Any, statement: str) -> None:
    """Run a PostgreSQL SET in autocommit, so that no rollback can undo it."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    with dbapi_connection.cursor() as cursor:
        cursor.execute(statement)
    dbapi_connection.autocommit = autocommit


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module so BEGIN is ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")
    # INSERT OR REPLACE deletes the row it replaces; with this on, that delete fires the
    # append-only tables' DELETE triggers (off, a replace would rewrite a sealed row).
    cursor.execute("PRAGMA recursive_triggers=ON")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_deferred(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")


def _postgres_read_only(dbapi_connection: Any, _record: Any) -> None:
    _set_for_the_session(dbapi_connection, "SET default_transaction_read_only = on")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


# Locks taken before another, so that every transaction takes them in one order: the ledger's
# writers (dispatch, reconciliation, write-offs, accrual) also write the audit log, some before
# posting and some after, and two of them taking the two locks in opposite orders deadlock.
TAKEN_FIRST = {"ledger": ("audit_events",)}


def serialize_writers(session: Session, resource: str) -> None:
    """Hold a lock on `resource` until the transaction ends, so chain writers take turns (and
    first the locks `TAKEN_FIRST` names for it; taking a lock already held is a no-op).

    SQLite needs nothing more: BEGIN IMMEDIATE already holds the database's write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        for name in (*TAKEN_FIRST.get(resource, ()), resource):
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


ANALYZE_FROM_ROWS = 10_000  # rows written at once from which the planner's statistics are refreshed
ANALYZE_LOCK_TIMEOUT = "2s"  # how long a refresh may wait for a table's lock before giving up


def refresh_statistics(session: Session, tables: Iterable[str], *, rows: int) -> None:
    """After a bulk write of `rows` rows, ANALYZE_FROM_ROWS or more, bring PostgreSQL's planner
    statistics for `tables` up to date, in the writer's transaction (ANALYZE counts the rows
    this transaction wrote as if committed). A smaller write is left to autovacuum.

    Otherwise the next queries are planned from statistics of before the write until autovacuum
    gets round to it (a minute or more): a registry import or an accrual run of hundreds of
    thousands of rows followed at once by an accrual or a build would plan for empty tables.
    Best effort: in a savepoint, waiting at most ANALYZE_LOCK_TIMEOUT for a table's lock (an
    autovacuum may hold it); a refresh that fails or waits too long is logged and undone alone,
    never the write it follows. A role that does not own a table gets PostgreSQL's warning and
    no refresh. SQLite keeps no statistics unless asked, and our queries are written for its
    default plans: nothing to do there. `tables` are our own table names, never input."""
    if rows < ANALYZE_FROM_ROWS or dialect_name(session) != "postgresql":
        return
    tables = tuple(tables)
    previous = session.scalar(text("SHOW lock_timeout"))
    try:
        with session.begin_nested():
            session.execute(text(f"SET LOCAL lock_timeout = '{ANALYZE_LOCK_TIMEOUT}'"))
            for table in tables:
                session.execute(text(f"ANALYZE {table}"))
    except DBAPIError as exc:
        log.warning(
            "planner statistics of %s not refreshed, autovacuum will: %s", ", ".join(tables), exc.orig
        )
    finally:
        session.execute(text("SELECT set_config('lock_timeout', :value, true)"), {"value": previous})
