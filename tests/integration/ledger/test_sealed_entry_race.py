"""On PostgreSQL a posting inserted from another connection while the ledger's writer seals its
entry waits for the writer, then finds the entry sealed: the entry stays as it was posted.

Two real connections: the application's writer (services.post_entry, not yet committed) and
someone with plain INSERT rights on ledger_postings, in a thread of its own.
"""

import threading
import time
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from payments import migrate
from payments.context import SYSTEM
from payments.db import make_engine, make_session_factory
from payments.ledger import services
from payments.ledger.draft import EntryDraft

INTRUDING_POSTING = text(
    "INSERT INTO ledger_postings (entry_seq, line, account_id, amount_vnd)"
    " VALUES (:seq, 3, :account, -1000000)"
)
WAITING_ON_A_LOCK = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")


def _accrual(key: str, amount: int) -> EntryDraft:
    return EntryDraft(key, "accrual", date(2025, 7, 1), (("expense:BTXH", amount), ("payable:1", -amount)))


class Intruder(threading.Thread):
    """Inserts a third posting for entry `seq` and commits, on a connection of its own."""

    def __init__(self, sessions, seq: int, account: int):
        super().__init__(daemon=True)
        self.session, self.seq, self.account = sessions(), seq, account
        self.refusal: DBAPIError | None = None

    def run(self) -> None:
        try:
            self.session.execute(INTRUDING_POSTING, {"seq": self.seq, "account": self.account})
            self.session.commit()
        except DBAPIError as exc:
            self.refusal = exc
            self.session.rollback()
        finally:
            self.session.close()


def _wait_until_blocked_or_done(sessions, intruder: Intruder, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with sessions() as observer:
        while intruder.is_alive() and time.monotonic() < deadline:
            if observer.execute(WAITING_ON_A_LOCK).scalar():
                return
            observer.rollback()
            time.sleep(0.05)


def test_a_posting_slipped_into_an_entry_being_sealed_waits_for_the_writer_and_is_refused(
    fresh_database_url, db_kind
):
    if db_kind != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    try:
        with sessions() as session:
            services.post_entry(session, _accrual("k1", 100), actor=SYSTEM)
            session.commit()
            account = session.execute(
                text("SELECT id FROM ledger_accounts WHERE code = 'payable:1'")
            ).scalar()
        with sessions() as writer:
            seq = services.post_entry(writer, _accrual("k2", 50), actor=SYSTEM).seq
            intruder = Intruder(sessions, seq, account)
            intruder.start()
            _wait_until_blocked_or_done(sessions, intruder)
            writer.commit()
        intruder.join(timeout=30)

        assert not intruder.is_alive()
        assert intruder.refusal is not None, "the intruding posting was committed"
        assert "sealed entry" in str(intruder.refusal)
        with sessions() as session:
            lines = session.execute(
                text("SELECT count(*), sum(amount_vnd) FROM ledger_postings WHERE entry_seq = :seq"),
                {"seq": seq},
            ).one()
        assert tuple(lines) == (2, 0)
    finally:
        engine.dispose()
