"""Append-only rows cannot be rewritten by an insert that replaces them either: on SQLite
`INSERT OR REPLACE` deletes the old row (refused once delete triggers fire for it:
`recursive_triggers`), on PostgreSQL `ON CONFLICT DO UPDATE` is an update (refused)."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from payments.audit.services import record_event
from payments.context import SYSTEM
from payments.ledger.draft import EntryDraft
from payments.ledger.services import post_entry

REWRITES = [
    ("ledger_accounts", "id", "owner_ref"),
    ("ledger_entries", "seq", "actor"),
    ("audit_events", "seq", "actor"),
]


@pytest.fixture
def written(session):
    draft = EntryDraft(
        "rewrite:1", "accrual", date(2025, 7, 1), (("expense:BTXH", 750_000), ("payable:1", -750_000))
    )
    post_entry(session, draft, actor=SYSTEM)
    record_event(session, SYSTEM, "test.written", "test", 1)
    session.flush()
    return session


@pytest.mark.parametrize(("table", "key", "column"), REWRITES)
def test_an_append_only_row_is_not_rewritten_by_an_insert_that_replaces_it(
    written, db_kind, table, key, column
):
    first = f"(SELECT min({key}) FROM {table})"
    before = written.execute(text(f"SELECT {column} FROM {table} WHERE {key} = {first}")).scalar()
    if db_kind == "sqlite":
        rewrite = f"INSERT OR REPLACE INTO {table} SELECT * FROM {table} WHERE {key} = {first}"
    else:
        rewrite = (
            f"INSERT INTO {table} SELECT * FROM {table} WHERE {key} = {first}"
            f" ON CONFLICT ({key}) DO UPDATE SET {column} = 'forged'"
        )
    savepoint = written.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        written.execute(text(rewrite))
    savepoint.rollback()
    assert written.execute(text(f"SELECT {column} FROM {table} WHERE {key} = {first}")).scalar() == before
