"""What a statement says at its edges: a booking across New Year is dated in the new year; one
booking of several payouts whose own amounts are not given settles none of them with the total;
the same daily report fetched from the provider and imported as its file is counted once."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from payments.adapters.ewallet.mapping import statement_from_csv
from payments.adapters.iso20022.camt import Balance, CamtEntry, CamtStatement, CamtTransaction
from payments.adapters.iso20022.camt_writer import camt_bytes
from payments.ledger import accounts
from payments.ledger.model import Entry
from payments.ledger.services import balance
from payments.reconcile.exceptions import list_exceptions
from payments.reconcile.ingest import DuplicateStatement
from payments.reconcile.model import ReconImport, ReconLine
from payments.reconcile.runs import fetch_statements, import_file, reconcile_statement
from payments.reconcile.writeoffs import plan_write_off
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import OPENING, Booking, ewallet_csv, mt940


def _import(session_factory, data: bytes, name: str = "file"):
    return import_file(session_factory, adapter="bank", data=data, file_name=name, actor=FINANCE)


def test_a_booking_on_2_january_for_value_31_december_settles_in_the_new_year(
    session, session_factory, dispatched
):
    _, (payout,) = dispatched(1)
    eve = date(2024, 12, 31)
    text = mt940([Booking(payout.payout_key, payout.amount_vnd)], eve).decode()
    text = text.replace(f":61:{eve:%y%m%d}{eve:%m%d}D", f":61:{eve:%y%m%d}0102D")  # entry date 2 January
    _import(session_factory, text.encode(), "stmt.sta")
    settled = session.scalar(select(Entry).where(Entry.idempotency_key == f"settle:{payout.payout_key}"))
    assert settled.effective_date == date(2025, 1, 2)


def _without_amounts(keys: list[str], total: int, day: date) -> bytes:
    """A camt.053 booking `total` once for payments `keys` whose TxDtls carry no Amt (as
    camt.053.001.02 files that give each amount only in AmtDtls)."""
    txs = tuple(
        CamtTransaction(
            end_to_end_id=key, instruction_id=None, payment_info_id=None, message_id=None,
            account_servicer_ref=None, transaction_id=None, amount_vnd=None, credit_debit="DBIT",
        )
        for key in keys
    )  # fmt: skip
    entry = CamtEntry("S", 1, None, total, "DBIT", "BOOK", day, None, "FT-1", transactions=txs)
    statement = CamtStatement(
        kind="camt.053", message_id="M1", created_at=datetime(day.year, day.month, day.day, 16, tzinfo=UTC),
        statement_id="STMT-1", account="0071000123456",
        balances=(Balance("OPBD", OPENING, "CRDT", day), Balance("CLBD", OPENING - total, "CRDT", day)),
    )  # fmt: skip
    return camt_bytes(statement, [entry])


def test_one_booking_of_two_payouts_without_their_amounts_settles_neither_and_asks_finance(
    session, session_factory, dispatched, today
):
    _, (first, second) = dispatched(2)
    total = first.amount_vnd + second.amount_vnd
    report = _import(session_factory, _without_amounts([first.payout_key, second.payout_key], total, today))
    session.expire_all()
    assert [first.state, second.state] == ["accepted", "accepted"]
    assert balance(session, accounts.settlement("bank")) == 0
    assert not report["tie_outs"]["holds"]  # the booking stays unexplained until someone decides
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    assert (found.amount_vnd, found.payout_id) == (total, None)
    assert first.payout_key in found.detail
    assert second.payout_key in found.detail
    assert list_exceptions(session, kind="AMOUNT_MISMATCH") == []
    assert plan_write_off(session, found).payout is None  # no payout is settled by writing it off


def _counts(session) -> dict[str, int]:
    session.expire_all()
    return {t.__name__: session.scalar(select(func.count()).select_from(t)) for t in (ReconImport, ReconLine)}


def test_a_daily_report_fetched_then_imported_as_its_file_is_refused_the_second_time(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(2)
    data = ewallet_csv([Booking(p.payout_key, p.amount_vnd) for p in payouts], today)
    reconcile_statement(
        session_factory, "bank", statement_from_csv(data.decode(), "PARTNER-1", today), actor=FINANCE
    )
    before = _counts(session)
    with pytest.raises(DuplicateStatement, match=f"the bank report of {today.isoformat()}"):
        _import(session_factory, data, "report.csv")
    assert _counts(session) == before
    assert list_exceptions(session, kind="DUPLICATE_CONFIRMATION") == []
    assert -balance(session, accounts.settlement("bank")) == sum(p.amount_vnd for p in payouts)


def test_a_daily_report_imported_as_its_file_is_not_staged_again_when_fetched(
    session, session_factory, dispatched, sandbox, today
):
    _, (payout,) = dispatched(1)
    sandbox.settle(payout.payout_key)
    data = ewallet_csv([Booking(payout.payout_key, payout.amount_vnd)], today)
    _import(session_factory, data, "report.csv")
    before = _counts(session)
    counts = fetch_statements(session_factory, {"bank": sandbox}, [today], actor=FINANCE)
    assert counts["fetched"] == 0
    assert _counts(session) == before  # nothing staged, not even an empty import
    with pytest.raises(DuplicateStatement):
        reconcile_statement(session_factory, "bank", sandbox.fetch_statement(today), actor=FINANCE)
    assert list_exceptions(session, kind="DUPLICATE_CONFIRMATION") == []
