"""Bulk statements on the driver connection of the session's transaction.

Used where rows come by the hundred thousand: the ledger's writer and verifier, dispatch's
outbox, reconciliation's staging and look-ups. Why below SQLAlchemy: measured on SQLite,
`session.execute(insert(table), rows)` spends 4 to 13 µs per row turning dictionaries into
parameters (more than SQLite takes to store the row), and a small `session.execute(select(...))`
costs about 70 µs against 2 µs on the driver's own cursor. The callers issue a fixed handful of
statements per chunk and hold their rows as tuples, so they hand them straight to the driver,
in the same connection and transaction: `executemany` on SQLite, `COPY ... FROM STDIN` on
PostgreSQL (constraints and triggers fire for COPY as for INSERT). Values that SQLite stores as
text (dates, UTC datetimes) are converted by the columns' own SQLAlchemy types, so rows read
back through the ORM as if it wrote them. Driver errors are re-raised as SQLAlchemy's
(IntegrityError and so on), like any other query."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Date
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from payments.db import UTCDateTime

IN_LIST_SIZE = 5_000  # values per IN (...) list, well below SQLite's parameter limit
# A bulk write dirties index pages all over (a ledger post: postings by account, balances,
# account codes). With SQLite's default 8 MB page cache, a transaction of a few hundred thousand entries
# spills those pages to the WAL and writes them again and again: the statements of a
# 500,000-entry post took 1.6 times as long. SQLite allocates cache pages only as it uses
# them, so small transactions pay nothing for the larger limit.
SQLITE_PAGE_CACHE_KIB = 131_072
_REMEMBERED = 4_096  # distinct stored dates and times whose parsing is remembered
_COPY_THRESHOLD = 64  # below this, executemany is cheaper than opening a COPY


class Driver:
    """The session's driver connection, with what differs between SQLite and PostgreSQL."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()  # begins the transaction (BEGIN IMMEDIATE on SQLite)
        self._dialect = connection.dialect
        self._dbapi_error = connection.dialect.loaded_dbapi.Error
        # One cursor for all the statements of this transaction: a one-entry post runs about
        # eight, and a new cursor and context manager for each was a measurable part of it.
        raw: Any = connection.connection.driver_connection
        self._cursor: Any = raw.cursor()
        self.postgres = connection.dialect.name == "postgresql"
        self.marker = "%s" if self.postgres else "?"
        self._date_processor, self._datetime_processor = _processors(self._dialect)
        self._dates: dict[date, Any] = {}
        self._read: dict[Any, Any] = {}
        if not self.postgres:
            self._widen_page_cache(connection.info)

    def _widen_page_cache(self, info: dict[str, Any]) -> None:
        """Raise this SQLite connection's page cache to SQLITE_PAGE_CACHE_KIB, once per connection."""
        if info.get("driver_page_cache"):
            return
        (pages,) = self.fetch("PRAGMA cache_size")[0]
        (page_size,) = self.fetch("PRAGMA page_size")[0]
        current_kib = -pages if pages < 0 else pages * page_size // 1024  # negative means KiB
        if current_kib < SQLITE_PAGE_CACHE_KIB:
            self.run(f"PRAGMA cache_size = -{SQLITE_PAGE_CACHE_KIB}")
        info["driver_page_cache"] = True

    def stored_date(self, value: date) -> Any:
        """A date as the driver should receive it (cached: a run has few distinct dates)."""
        stored = self._dates.get(value)
        if stored is None:
            stored = self._date_processor(value) if self._date_processor else value
            self._dates[value] = stored
        return stored

    def stored_datetime(self, value: datetime) -> Any:
        return self._datetime_processor(value) if self._datetime_processor else value

    def read_date(self, stored: Any) -> date:
        """A date as read from the driver. On SQLite, which stores text, only the exact text the
        writer stored is accepted: another spelling of the same day means the row was edited."""
        if self.postgres:
            return stored  # type: ignore[no-any-return]
        known = self._read.get(stored)  # a run has few distinct dates: most are remembered
        return known or self._parsed(stored, date.fromisoformat, self.stored_date)  # type: ignore[no-any-return]

    def read_datetime(self, stored: Any) -> datetime:
        """An aware UTC datetime as read from the driver, held to the writer's text on SQLite."""
        if self.postgres:
            return stored.astimezone(UTC)  # type: ignore[no-any-return]
        known = self._read.get(stored)
        return known or self._parsed(stored, _naive_utc, self.stored_datetime)  # type: ignore[no-any-return]

    def _parsed(self, stored: Any, parse: Any, render: Any) -> Any:
        value = self._read.get(stored)
        if value is None:
            value = parse(stored)  # ValueError or TypeError for what no writer stores
            if render(value) != stored:
                raise ValueError(f"{stored!r} is not how that value is stored")
            if len(self._read) >= _REMEMBERED:
                self._read.clear()
            self._read[stored] = value
        return value

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            rows: list[tuple[Any, ...]] = self._cursor.execute(sql, params).fetchall()
            return rows
        except self._dbapi_error as error:
            raise self._wrapped(error, sql, params) from error

    def fetch_in(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run `sql` whose `{in}` placeholder stands for "is one of `values`", in bounded batches."""
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), IN_LIST_SIZE):
            clause, params = self.one_of(list(values[start : start + IN_LIST_SIZE]))
            rows += self.fetch(sql.format(in_=clause), params)
        return rows

    def one_of(self, values: list[Any]) -> tuple[str, tuple[Any, ...]]:
        """("is one of `values`" as SQL to follow a column, its parameters): `= ANY(%s)` with one
        array on PostgreSQL, `IN (?, ...)` on SQLite. Keep `values` within IN_LIST_SIZE."""
        if self.postgres:
            return "= ANY(%s)", (values,)
        return f"IN ({', '.join('?' * len(values))})", tuple(values)

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert `rows` (tuples in `columns` order) into `table`."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.postgres and len(rows) >= _COPY_THRESHOLD:
            sql = f"COPY {table} ({names}) FROM STDIN"
            try:
                with self._cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            except self._dbapi_error as error:
                raise self._wrapped(error, sql, ()) from error
            return
        markers = ", ".join([self.marker] * len(columns))
        self.execute_many(f"INSERT INTO {table} ({names}) VALUES ({markers})", rows)

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        try:
            self._cursor.execute(sql, params)
        except self._dbapi_error as error:
            raise self._wrapped(error, sql, params) from error

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        try:
            self._cursor.executemany(sql, rows)
        except self._dbapi_error as error:
            raise self._wrapped(error, sql, rows) from error

    def new_ids(self, table: str, count: int) -> list[int]:
        """`count` fresh primary keys for `table`; callers hold the lock of the table's writers."""
        if self.postgres:
            sql = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)"
            return [row[0] for row in self.fetch(sql, (table, count))]
        (last,) = self.fetch(f"SELECT coalesce(max(id), 0) FROM {table}")[0]
        return list(range(last + 1, last + 1 + count))

    def _wrapped(self, error: Exception, sql: str, params: Any) -> StatementError:
        """A driver error as SQLAlchemy raises it for any other query (IntegrityError and so on)."""
        return DBAPIError.instance(sql, params, error, self._dbapi_error)


def _naive_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@cache
def _processors(dialect: Dialect) -> tuple[Any, Any]:
    """The bind processors of the Date and UTCDateTime columns (adapting types is slow: once)."""
    return (
        Date().dialect_impl(dialect).bind_processor(dialect),
        UTCDateTime().dialect_impl(dialect).bind_processor(dialect),
    )
