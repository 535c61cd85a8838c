"""The ledger writer's statements, run on the driver connection of the session's transaction.

Why below SQLAlchemy: measured on SQLite, `session.execute(insert(table), rows)` spends 4 to
13 µs per row turning dictionaries into parameters (more than SQLite takes to store the row),
and a small `session.execute(select(...))` costs about 70 µs against 2 µs on the driver's own
cursor. The writer issues a fixed handful of statements per chunk and holds its rows as
tuples, so it hands them straight to the driver, in the same connection and transaction:
`executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL (constraints and triggers fire for
COPY as for INSERT). Values that SQLite stores as text (dates, UTC datetimes) are converted by
the columns' own SQLAlchemy types, so rows read back through the ORM as if it wrote them.
Driver errors are re-raised as SQLAlchemy's (IntegrityError and so on), like any other query.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Date
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from payments.db import UTCDateTime, dialect_name

IN_LIST_SIZE = 5_000  # values per IN (...) list, well below SQLite's parameter limit
_REMEMBERED = 4_096  # distinct stored dates and times whose parsing is remembered
_COPY_THRESHOLD = 64  # below this, executemany is cheaper than opening a COPY


class Driver:
    """The session's driver connection, with what differs between SQLite and PostgreSQL."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()  # begins the transaction (BEGIN IMMEDIATE on SQLite)
        self._dialect = connection.dialect
        self._raw: Any = connection.connection.driver_connection
        self.postgres = dialect_name(session) == "postgresql"
        self.marker = "%s" if self.postgres else "?"
        self._date_processor, self._datetime_processor = _processors(self._dialect)
        self._dates: dict[date, Any] = {}
        self._read: dict[Any, Any] = {}

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
        writer stores is accepted: another spelling of the same day means the row was edited."""
        if self.postgres:
            return stored  # type: ignore[no-any-return]
        return self._parsed(stored, date.fromisoformat, self.stored_date)  # type: ignore[no-any-return]

    def read_datetime(self, stored: Any) -> datetime:
        """An aware UTC datetime as read from the driver, held to the writer's text on SQLite."""
        if self.postgres:
            return stored.astimezone(UTC)  # type: ignore[no-any-return]
        return self._parsed(stored, _naive_utc, self.stored_datetime)  # type: ignore[no-any-return]

    def _parsed(self, stored: Any, parse: Any, render: Any) -> Any:
        value = self._read.get(stored)
        if value is None:
            value = parse(stored)  # ValueError or TypeError for what no writer stores
            if render(value) != stored:
                raise ValueError(f"{stored!r} is not how the ledger stores that value")
            if len(self._read) >= _REMEMBERED:
                self._read.clear()
            self._read[stored] = value
        return value

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._cursor(sql, params) as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def fetch_in(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run `sql` whose `{in}` placeholder stands for "is one of `values`", in bounded batches."""
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), IN_LIST_SIZE):
            batch = list(values[start : start + IN_LIST_SIZE])
            if self.postgres:
                rows += self.fetch(sql.format(in_="= ANY(%s)"), [batch])
            else:
                rows += self.fetch(sql.format(in_=f"IN ({', '.join('?' * len(batch))})"), batch)
        return rows

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert `rows` (tuples in `columns` order) into `table`."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.postgres and len(rows) >= _COPY_THRESHOLD:
            sql = f"COPY {table} ({names}) FROM STDIN"
            with self._cursor(sql, ()) as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        markers = ", ".join([self.marker] * len(columns))
        self.execute_many(f"INSERT INTO {table} ({names}) VALUES ({markers})", rows)

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._cursor(sql, params) as cursor:
            cursor.execute(sql, params)

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self._cursor(sql, rows) as cursor:
            cursor.executemany(sql, rows)

    def new_ids(self, table: str, count: int) -> list[int]:
        """`count` fresh primary keys for `table`; callers hold the ledger writer lock."""
        if self.postgres:
            sql = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)"
            return [row[0] for row in self.fetch(sql, (table, count))]
        (last,) = self.fetch(f"SELECT coalesce(max(id), 0) FROM {table}")[0]
        return list(range(last + 1, last + 1 + count))

    def add_to_balances(self, deltas: list[tuple[int, int]], last_seq: int) -> None:
        """Add each (account id, delta) to the cached balances, locking rows in account-id order."""
        if not self.postgres:
            sql = "UPDATE ledger_balances SET balance_vnd = balance_vnd + ?, last_seq = ?"
            sql += " WHERE account_id = ?"
            self.execute_many(sql, [(delta, last_seq, account_id) for account_id, delta in deltas])
            return
        ids, amounts = [i for i, _ in deltas], [d for _, d in deltas]
        # One global lock order (account id), so that concurrent lockers cannot deadlock.
        self.fetch(
            "SELECT 1 FROM ledger_balances WHERE account_id = ANY(%s) ORDER BY account_id FOR UPDATE", [ids]
        )
        self.run(
            "UPDATE ledger_balances b SET balance_vnd = b.balance_vnd + d.delta, last_seq = %s"
            " FROM unnest(%s::bigint[], %s::bigint[]) AS d(account_id, delta)"
            " WHERE b.account_id = d.account_id",
            (last_seq, ids, amounts),
        )

    @contextmanager
    def _cursor(self, sql: str, params: Any) -> Iterator[Any]:
        cursor = self._raw.cursor()
        try:
            yield cursor
        except self._dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(sql, params, error, self._dialect.loaded_dbapi.Error) from error
        finally:
            cursor.close()


def _naive_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@cache
def _processors(dialect: Dialect) -> tuple[Any, Any]:
    """The bind processors of the Date and UTCDateTime columns (adapting types is slow: once)."""
    return (
        Date().dialect_impl(dialect).bind_processor(dialect),
        UTCDateTime().dialect_impl(dialect).bind_processor(dialect),
    )
