"""Money booked twice for one payout is never explained by its one settlement.

The same bank reference in two imports (a camt.054 notification, then the day's camt.053) is
one booking reported twice; inside one import (one entry split into transactions that carry
the entry's reference) it is two payments: a DUPLICATE_CONFIRMATION, and the tie-out counts
the payout's settlement once. A key paid again with another amount, once written off, is
written off whole."""

from datetime import UTC, datetime, timedelta

import pytest

from payments.adapters.iso20022.camt import Balance, CamtEntry, CamtStatement, CamtTransaction
from payments.adapters.iso20022.camt_writer import camt_bytes
from payments.errors import RuleViolation
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.reconcile.exceptions import approve_write_off, list_exceptions
from payments.reconcile.resolutions import resolve_exception
from payments.reconcile.runs import import_file
from payments.reconcile.tieouts import tie_outs
from tests.integration.reconcile.conftest import FINANCE, SECOND_FINANCE
from tests.integration.reconcile.files import OPENING, Booking, camt


def _import(session_factory, data: bytes, name: str = "eod.xml"):
    return import_file(session_factory, adapter="bank", data=data, file_name=name, actor=FINANCE)


def _one_booking_of(key: str, amounts: list[int], day) -> bytes:
    """A camt.053 whose one entry (bank reference FT-ONE) holds a transaction per amount, each
    for `key`, none with a reference of its own."""
    txs = tuple(_transaction(key, amount) for amount in amounts)
    total = sum(amounts)
    entry = CamtEntry("S", 1, None, total, "DBIT", "BOOK", day, None, "FT-ONE", transactions=txs)
    statement = CamtStatement(
        kind="camt.053", message_id="M1", created_at=datetime(day.year, day.month, day.day, 16, tzinfo=UTC),
        statement_id="STMT-1", account="0071000123456",
        balances=(Balance("OPBD", OPENING, "CRDT", day), Balance("CLBD", OPENING - total, "CRDT", day)),
    )  # fmt: skip
    return camt_bytes(statement, [entry])


def _transaction(key: str, amount: int) -> CamtTransaction:
    return CamtTransaction(
        end_to_end_id=key, instruction_id=None, payment_info_id=None, message_id=None,
        account_servicer_ref=None, transaction_id=None, amount_vnd=amount, credit_debit="DBIT",
    )  # fmt: skip


def _settlement(session) -> dict:
    session.expire_all()
    return tie_outs(session)["adapters"]["bank"]["settlement"]


def test_a_payout_paid_twice_inside_one_booking_is_a_duplicate_and_breaks_the_tie_out(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    amount = payout.amount_vnd
    report = _import(session_factory, _one_booking_of(payout.payout_key, [amount, amount], today))
    session.expire_all()
    assert payout.state == "settled"
    duplicate, statement_break = list_exceptions(session)
    assert (duplicate.kind, duplicate.payout_id, duplicate.amount_vnd) == (
        "DUPLICATE_CONFIRMATION", payout.id, amount,
    )  # fmt: skip
    assert (statement_break.kind, statement_break.amount_vnd) == ("BALANCE_BREAK", -amount)
    assert not report["tie_outs"]["holds"]
    settlement = _settlement(session)
    assert (settlement["statement_movement_vnd"], settlement["ledger_movement_vnd"]) == (-2 * amount, -amount)
    assert settlement["unexplained_vnd"] == -amount


def test_writing_off_the_second_payment_of_one_booking_ties_the_statement_out(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    amount = payout.amount_vnd
    _import(session_factory, _one_booking_of(payout.payout_key, [amount, amount], today))
    (duplicate,) = list_exceptions(session, kind="DUPLICATE_CONFIRMATION")
    resolve_exception(session, FINANCE, duplicate.id, action="write_off", reason="bank paid it twice")
    approve_write_off(session, SECOND_FINANCE, duplicate.id, reason="claim it back from the bank")
    session.flush()
    assert -balance(session, accounts.settlement("bank")) == 2 * amount  # what left the account
    assert balance(session, accounts.expense("writeoff")) == amount
    assert _settlement(session)["holds"]


def test_a_notification_and_the_days_statement_of_one_booking_settle_the_payout_once(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    paid = [Booking(payout.payout_key, payout.amount_vnd)]
    _import(session_factory, camt(paid, today, kind="camt.054"), "ntf.xml")  # same bank reference as
    report = _import(session_factory, camt(paid, today), "eod.xml")  # the statement's booking
    session.expire_all()
    assert payout.state == "settled"
    assert list_exceptions(session) == []
    assert report["tie_outs"]["holds"]
    assert -balance(session, accounts.settlement("bank")) == payout.amount_vnd


def test_a_key_paid_again_with_another_amount_is_written_off_whole(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    amount = payout.amount_vnd
    _import(session_factory, camt([Booking(payout.payout_key, amount)], today), "d1.xml")
    again = Booking(payout.payout_key, amount + 11_000)  # the next day, the same key paid again
    _import(session_factory, camt([again], today + timedelta(days=1), tag="b"), "d2.xml")
    (mismatch,) = list_exceptions(session, kind="AMOUNT_MISMATCH")
    resolve_exception(session, FINANCE, mismatch.id, action="write_off", reason="bank overpaid")
    approve_write_off(session, SECOND_FINANCE, mismatch.id, reason="agreed")
    session.flush()
    session.expire_all()
    assert payout.state == "settled"
    assert -balance(session, accounts.settlement("bank")) == 2 * amount + 11_000  # what left the account
    assert balance(session, accounts.expense("writeoff")) == amount + 11_000  # the whole second payment
    assert _settlement(session)["holds"]


def test_a_key_paid_once_with_more_than_its_amount_writes_off_only_the_excess(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    amount = payout.amount_vnd
    _import(session_factory, camt([Booking(payout.payout_key, amount + 11_000)], today))
    (mismatch,) = list_exceptions(session, kind="AMOUNT_MISMATCH")
    resolve_exception(session, FINANCE, mismatch.id, action="write_off", reason="bank overpaid")
    approve_write_off(session, SECOND_FINANCE, mismatch.id, reason="agreed")
    session.flush()
    session.expire_all()
    assert payout.state == "settled"
    assert balance(session, accounts.expense("writeoff")) == 11_000
    assert _settlement(session)["holds"]


def test_an_overpayment_reported_by_a_notification_and_the_days_statement_is_written_off_once(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    amount = payout.amount_vnd
    paid = [Booking(payout.payout_key, amount + 11_000)]  # one booking, one bank reference
    _import(session_factory, camt(paid, today, kind="camt.054"), "notification.xml")
    _import(session_factory, camt(paid, today), "statement.xml")
    first, second = list_exceptions(session, kind="AMOUNT_MISMATCH")
    resolve_exception(session, FINANCE, first.id, action="write_off", reason="bank overpaid")
    approve_write_off(session, SECOND_FINANCE, first.id, reason="agreed")
    with pytest.raises(RuleViolation, match="already accounted for"):
        resolve_exception(session, FINANCE, second.id, action="write_off", reason="bank overpaid")
    session.flush()
    session.expire_all()
    assert payout.state == "settled"
    assert balance(session, accounts.expense("writeoff")) == 11_000  # the excess, once
    assert -balance(session, accounts.settlement("bank")) == amount + 11_000  # what left the account, once
