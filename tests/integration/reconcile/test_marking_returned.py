"""Marking a payout returned by hand restores what the person is owed (they will be paid
again), so it is allowed only for a payout the exception is about, and never for a settled
one: money that comes back after settlement arrives as a credit line on a statement."""

from datetime import UTC, datetime, timedelta

import pytest

from payments.clock import fixed_clock
from payments.errors import RuleViolation
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.reconcile.exceptions import get_exception, list_exceptions
from payments.reconcile.resolutions import resolve_exception
from payments.reconcile.runs import age_payouts, import_file
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import Booking, camt


def _owed(session, payout) -> int:
    return -balance(session, accounts.payable(payout.beneficiary_id))


def test_a_settled_payout_cannot_be_marked_returned_through_an_unrelated_exception(
    session, session_factory, dispatched, today
):
    _, (paid, _) = dispatched(2)
    bookings = [Booking(paid.payout_key, paid.amount_vnd), Booking("NOT-OURS-1", 40_000)]
    import_file(
        session_factory, adapter="bank", file_name="eod.xml", actor=FINANCE, data=camt(bookings, today)
    )
    (unrelated,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    with pytest.raises(RuleViolation, match="not one exception"):
        resolve_exception(
            session,
            FINANCE,
            unrelated.id,
            action="mark_returned",
            reason="x",
            payout_id=paid.id,
            reason_code="AC04",
        )
    session.expire_all()
    assert paid.state == "settled"
    assert _owed(session, paid) == 0
    assert get_exception(session, unrelated.id).state == "open"


def test_a_settled_payout_cannot_be_marked_returned_through_its_own_exception(
    session, session_factory, dispatched, today
):
    _, (paid,) = dispatched(1)
    import_file(
        session_factory, adapter="bank", file_name="eod.xml", actor=FINANCE,
        data=camt([Booking(paid.payout_key, paid.amount_vnd + 5_000)], today),
    )  # fmt: skip
    (mismatch,) = list_exceptions(session, kind="AMOUNT_MISMATCH")
    assert mismatch.payout_id == paid.id
    import_file(
        session_factory, adapter="bank", file_name="eod-2.xml", actor=FINANCE,
        data=camt([Booking(paid.payout_key, paid.amount_vnd)], today, tag="b"),
    )  # fmt: skip
    session.expire_all()
    assert paid.state == "settled"
    with pytest.raises(RuleViolation, match="is settled: it is not marked returned by hand"):
        resolve_exception(
            session, FINANCE, mismatch.id, action="mark_returned", reason="x", reason_code="AC04"
        )
    session.expire_all()
    assert paid.state == "settled"
    assert _owed(session, paid) == 0


def test_another_in_flight_payout_cannot_be_marked_returned_through_an_unconfirmed_payouts_exception(
    session, dispatched
):
    _, (late, other) = dispatched(2)
    later = fixed_clock(datetime.now(UTC) + timedelta(days=10))
    age_payouts(session, older_than=timedelta(days=3), actor=FINANCE, clock=later)
    found = next(e for e in list_exceptions(session, kind="UNCONFIRMED_PAYOUT") if e.payout_id == late.id)
    with pytest.raises(RuleViolation, match="not one exception"):
        resolve_exception(session, FINANCE, found.id, action="mark_returned", reason="x", payout_id=other.id)
    session.expire_all()
    assert [late.state, other.state] == ["accepted", "accepted"]
    assert _owed(session, other) == 0
    resolve_exception(session, FINANCE, found.id, action="mark_returned", reason="bank: never paid")
    session.expire_all()
    assert late.state == "returned"
    assert _owed(session, late) == late.amount_vnd
