"""After a bulk write, PostgreSQL plans the next queries from statistics that count it.

A registry import, an accrual run or a batch build that writes ANALYZE_FROM_ROWS rows or more
refreshes the planner's statistics of the tables it wrote, in its own transaction. Tests run
in a transaction that is never committed, so autovacuum cannot see their rows: the statistics
count them only if the write refreshed them itself. SQLite keeps no statistics, and gets none.
"""

import logging

import pytest
from sqlalchemy import text

from payments import db
from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.clock import fixed_clock
from payments.disbursements.building import build_batches
from payments.disbursements.routing import Routing
from payments.entitlements import accrual
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.ledger.model import LEDGER_TABLES
from payments.registry import importer
from tests.factories import REGISTRY_CIPHER
from tests.integration.registry.conftest import NOW
from tests.integration.registry.test_import_and_keys import csv_text, row, run
from tests.support.people import OFFICER

PEOPLE = 7
BUILT = ("payouts", "batch_holds")


def planner_counts_every_row(session, table: str) -> bool:
    estimated = session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table})
    return estimated == session.scalar(text(f"SELECT count(*) FROM {table}"))


def sqlite_statistics(session) -> int:
    return session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'"))


def import_accrue_and_build(session, session_factory, people: int) -> None:
    """`people` war invalids with bank accounts imported, September 2024 accrued and built."""
    report = run(session, REGISTRY_CIPHER, csv_text(*(row(n) for n in range(people))), fixed_clock(NOW))
    assert report.written
    assert report.beneficiaries_created == people
    session.commit()
    summary = accrual.accrue(session_factory, Period(2024, 9), load_rate_set(session, "68"), actor=OFFICER)
    assert summary.posted == people
    sandbox = SandboxAdapter("bank")
    routing = Routing(bank="bank", ewallet="bank", adapters={"bank": sandbox})
    built = build_batches(session, "2024-09", routing, REGISTRY_CIPHER, actor=OFFICER, hold_days=30,
                          on_date=NOW.date())  # fmt: skip
    assert sum(b.payout_count for b in built.batches) == people
    assert not built.holds


@pytest.fixture
def threshold(monkeypatch):
    def set_to(rows: int) -> None:
        monkeypatch.setattr(db, "ANALYZE_FROM_ROWS", rows)

    return set_to


def test_a_large_import_accrual_and_build_refresh_the_statistics_of_what_they_wrote(
    session, session_factory, db_kind, threshold
):
    threshold(PEOPLE)
    if db_kind == "postgresql":
        session.execute(text("SET lock_timeout = '7s'"))  # the caller's own setting, kept
    import_accrue_and_build(session, session_factory, PEOPLE)
    if db_kind == "postgresql":
        for table in (*importer.REGISTRY_TABLES, *LEDGER_TABLES, *BUILT):
            assert planner_counts_every_row(session, table), table
        assert session.scalar(text("SHOW lock_timeout")) == "7s"
        session.execute(text("RESET lock_timeout"))
    else:
        assert sqlite_statistics(session) == 0


def test_smaller_writes_leave_the_statistics_to_autovacuum(session, session_factory, db_kind, threshold):
    # Not PEOPLE: ANALYZE writes its estimate in place, so the other test's outlives its rollback.
    threshold(PEOPLE + 3)
    import_accrue_and_build(session, session_factory, PEOPLE + 2)
    if db_kind == "postgresql":
        for table in ("beneficiaries", "ledger_entries", "payouts"):
            assert not planner_counts_every_row(session, table), table
    else:
        assert sqlite_statistics(session) == 0


def test_a_refresh_that_cannot_get_its_lock_gives_up_and_keeps_the_write(
    session, engine, db_kind, monkeypatch, caplog
):
    monkeypatch.setattr(db, "ANALYZE_LOCK_TIMEOUT", "100ms")
    report = run(session, REGISTRY_CIPHER, csv_text(row(1)), fixed_clock(NOW))
    if db_kind != "postgresql":
        db.refresh_statistics(session, ("beneficiaries",), rows=db.ANALYZE_FROM_ROWS)
        assert sqlite_statistics(session) == 0
        return
    before = session.scalar(text("SHOW lock_timeout"))
    with engine.connect() as autovacuum_like:  # holds the lock ANALYZE needs, as a vacuum would
        autovacuum_like.execute(text("LOCK TABLE beneficiaries IN SHARE UPDATE EXCLUSIVE MODE"))
        with caplog.at_level(logging.WARNING, logger="payments.db"):
            db.refresh_statistics(session, ("beneficiaries",), rows=db.ANALYZE_FROM_ROWS)
        autovacuum_like.rollback()
    assert "beneficiaries not refreshed" in caplog.text
    assert report.written
    assert session.scalar(
        text("SELECT count(*) FROM beneficiaries WHERE full_name = :n"), {"n": row(1)["full_name"]}
    )
    assert session.scalar(text("SHOW lock_timeout")) == before  # the caller's setting is back
