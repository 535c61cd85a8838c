"""The database itself refuses edits, unbalanced entries and late postings, on both databases.

Every statement here is raw SQL, as someone bypassing the services would write it.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from payments import migrate
from payments.context import SYSTEM
from payments.db import make_engine, make_session_factory
from payments.ledger import services
from payments.ledger.draft import EntryDraft
from tests.factories import LedgerEntryFactory

APPEND_ONLY = ["ledger_entries", "ledger_postings", "ledger_accounts", "ledger_checkpoints"]
INSERT_ENTRY = text(
    "INSERT INTO ledger_entries (seq, prev_hash, hash, kind, effective_date, recorded_at, actor,"
    " idempotency_key, content_hash, reverses_seq)"
    " VALUES (:seq, :h, :h, :kind, :day, :at, 'raw', :key, :h, :rev)"
)
INSERT_POSTING = text(
    "INSERT INTO ledger_postings (entry_seq, line, account_id, amount_vnd)"
    " VALUES (:seq, :line, :account, :amount)"
)


def _refused(session, statement, params=None, match="."):
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match=match):
        session.execute(text(statement) if isinstance(statement, str) else statement, params or {})
    savepoint.rollback()


def _entry_params(seq, key, kind="accrual", rev=None):
    return {
        "seq": seq,
        "h": "f" * 64,
        "kind": kind,
        "day": date(2025, 7, 1),
        "at": datetime(2025, 7, 1, tzinfo=UTC).replace(tzinfo=None),
        "key": key,
        "rev": rev,
    }


def _accounts(session):
    LedgerEntryFactory(beneficiary=1)
    return dict(session.execute(text("SELECT code, id FROM ledger_accounts")).all())


@pytest.fixture
def posted(session):
    LedgerEntryFactory(beneficiary=1)
    services.post_entry(
        session,
        EntryDraft("cp", "accrual", date(2025, 7, 1), (("expense:BTXH", 1), ("payable:1", -1))),
        actor=SYSTEM,
    )
    session.execute(
        text(
            "INSERT INTO ledger_checkpoints"
            " (origin, size, head_hash, key_name, key_id, note, created_at, actor)"
            " VALUES ('o', 1, :h, 'o', 'abcd0123', 'n', :at, 't')"
        ),
        {"h": "0" * 64, "at": datetime(2025, 7, 1)},
    )
    return session


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_update_on_ledger_tables(posted, table):
    column = {"ledger_entries": "actor", "ledger_postings": "line", "ledger_accounts": "owner_ref"}.get(
        table, "actor"
    )
    value = "5" if column == "line" else "'forged'"
    _refused(posted, f"UPDATE {table} SET {column} = {value}", match="append-only")


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_delete_on_ledger_tables(posted, table):
    _refused(posted, f"DELETE FROM {table}", match="append-only")


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_postgres_refuses_truncate_on_ledger_tables(posted, db_kind, table):
    if db_kind != "postgresql":
        return  # SQLite has no TRUNCATE; DELETE is covered above
    posted.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # settle the deferred checks first
    _refused(posted, f"TRUNCATE {table} CASCADE", match="append-only")


def test_an_entry_whose_postings_do_not_sum_to_zero_is_refused(session):
    ids = _accounts(session)
    session.execute(INSERT_POSTING, {"seq": 2, "line": 1, "account": ids["expense:BTXH"], "amount": 100})
    session.execute(INSERT_POSTING, {"seq": 2, "line": 2, "account": ids["payable:1"], "amount": -99})
    _refused(session, INSERT_ENTRY, _entry_params(2, "unbalanced"), match="summing to zero")


def test_an_entry_with_fewer_than_two_postings_is_refused(session):
    _accounts(session)
    _refused(session, INSERT_ENTRY, _entry_params(2, "no-postings"), match="two or more postings")


def test_a_posting_cannot_be_added_to_a_sealed_entry(session):
    ids = _accounts(session)
    params = {"seq": 1, "line": 3, "account": ids["payable:1"], "amount": 0}
    _refused(session, INSERT_POSTING, {**params, "amount": 5}, match="sealed")
    _refused(session, INSERT_POSTING, {**params, "line": 9, "amount": -5}, match="sealed")


def test_a_posting_to_an_account_that_does_not_exist_is_refused(session):
    ids = _accounts(session)
    unknown = max(ids.values()) + 1
    params = {"seq": 2, "line": 1, "account": unknown, "amount": 5}
    _refused(session, INSERT_POSTING, params, match="existing account")
    session.execute(
        INSERT_POSTING, {**params, "account": ids["payable:1"]}
    )  # the same posting, known account


def test_one_statement_of_postings_with_a_late_one_among_new_ones_is_refused(session):
    ids = _accounts(session)
    many = text(
        "INSERT INTO ledger_postings (entry_seq, line, account_id, amount_vnd)"
        " VALUES (5, 1, :account, 7), (1, 3, :account, 7), (2, 1, :account, 7)"
    )
    _refused(session, many, {"account": ids["payable:1"]}, match="sealed")


def test_one_statement_of_entries_with_one_unbalanced_among_them_is_refused(session):
    ids = _accounts(session)
    for seq, credit in ((2, -100), (3, -99), (4, -100)):
        session.execute(
            INSERT_POSTING, {"seq": seq, "line": 1, "account": ids["expense:BTXH"], "amount": 100}
        )
        session.execute(
            INSERT_POSTING, {"seq": seq, "line": 2, "account": ids["payable:1"], "amount": credit}
        )
    rows = ", ".join(
        f"({seq}, :h, :h, 'accrual', :day, :at, 'raw', 'many-{seq}', :h, NULL)" for seq in (2, 3, 4)
    )
    many = text(
        "INSERT INTO ledger_entries (seq, prev_hash, hash, kind, effective_date, recorded_at, actor,"
        f" idempotency_key, content_hash, reverses_seq) VALUES {rows}"
    )
    params = _entry_params(0, "unused")
    _refused(session, many, {"h": params["h"], "day": params["day"], "at": params["at"]}, match="zero")


def test_a_balanced_raw_entry_is_accepted_so_the_refusals_are_about_balance(session):
    ids = _accounts(session)
    session.execute(INSERT_POSTING, {"seq": 2, "line": 1, "account": ids["expense:BTXH"], "amount": 100})
    session.execute(INSERT_POSTING, {"seq": 2, "line": 2, "account": ids["payable:1"], "amount": -100})
    session.execute(INSERT_ENTRY, _entry_params(2, "balanced"))
    assert session.execute(text("SELECT count(*) FROM ledger_entries")).scalar() == 2


def test_a_zero_posting_and_an_unknown_kind_are_refused(session):
    ids = _accounts(session)
    _refused(session, INSERT_POSTING, {"seq": 2, "line": 1, "account": ids["payable:1"], "amount": 0})
    session.execute(INSERT_POSTING, {"seq": 2, "line": 1, "account": ids["expense:BTXH"], "amount": 7})
    session.execute(INSERT_POSTING, {"seq": 2, "line": 2, "account": ids["payable:1"], "amount": -7})
    _refused(session, INSERT_ENTRY, _entry_params(2, "gift", kind="gift"))


def test_an_entry_can_be_reversed_only_once_even_in_raw_sql(session):
    ids = _accounts(session)
    services.reverse_entry(session, 1, effective_date=date(2025, 7, 2), reason="x", actor=SYSTEM)
    session.execute(INSERT_POSTING, {"seq": 3, "line": 1, "account": ids["expense:BTXH"], "amount": -500_000})
    session.execute(INSERT_POSTING, {"seq": 3, "line": 2, "account": ids["payable:1"], "amount": 500_000})
    _refused(session, INSERT_ENTRY, _entry_params(3, "second-reversal", kind="reversal", rev=1))


def test_postings_whose_entry_never_comes_are_refused_at_commit(fresh_database_url):
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        services.post_entry(
            session,
            EntryDraft("k", "accrual", date(2025, 7, 1), (("expense:BTXH", 1), ("payable:1", -1))),
            actor=SYSTEM,
        )
        session.commit()
        account = session.execute(text("SELECT min(id) FROM ledger_accounts")).scalar()
        session.execute(INSERT_POSTING, {"seq": 2, "line": 1, "account": account, "amount": 5})
        with pytest.raises(DBAPIError):
            session.commit()
        session.rollback()
        assert session.execute(text("SELECT count(*) FROM ledger_postings")).scalar() == 2
    engine.dispose()
