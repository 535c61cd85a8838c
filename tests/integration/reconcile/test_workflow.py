"""Finance's exceptions workflow: confirm a suggestion, mark returned, write off with a second
user; exceptions are never deleted; and the scheduler's reconcile and age jobs."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text
from sqlalchemy.exc import DBAPIError

from payments.clock import fixed_clock
from payments.errors import Conflict, InvalidInput, NotFound, RuleViolation
from payments.jobs import JOBS
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.reconcile.exceptions import (
    Problem,
    approve_write_off,
    assign,
    history,
    list_exceptions,
    raise_exception,
)
from payments.reconcile.model import ReconException, ReconExceptionEvent
from payments.reconcile.resolutions import resolve_exception
from payments.reconcile.runs import age_payouts, import_file
from payments.scheduling.runs import JobContext
from tests.integration.reconcile.conftest import FINANCE, SECOND_FINANCE
from tests.integration.reconcile.files import Booking, camt


def _unmatched(session, session_factory, payouts, today):
    """The bank booked a payout's amount under a reference we cannot read."""
    garbled = Booking("GARBLED-REF-0001", payouts[0].amount_vnd, name=payouts[0].beneficiary_name)
    import_file(session_factory, adapter="bank", data=camt([garbled], today), file_name="f", actor=FINANCE)
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    return found


def test_confirming_a_suggestion_settles_that_payout_and_resolves_the_exception(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(2)
    found = _unmatched(session, session_factory, payouts, today)
    best = found.data["suggestions"][0]
    assert best["payout_id"] == payouts[0].id  # the holder name matches best
    reason = "bank confirmed by phone"
    resolve_exception(
        session, FINANCE, found.id, action="confirm_suggestion", reason=reason, payout_id=best["payout_id"]
    )
    session.commit()
    session.expire_all()
    assert payouts[0].state == "settled"
    assert found.state == "resolved"
    assert found.resolved_by == FINANCE.username
    assert balance(session, accounts.settlement("bank")) == -payouts[0].amount_vnd


def test_a_payout_not_offered_by_the_exception_cannot_be_confirmed(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(1)
    found = _unmatched(session, session_factory, payouts, today)
    with pytest.raises(InvalidInput, match="offered"):
        resolve_exception(
            session, FINANCE, found.id, action="confirm_suggestion", reason="x", payout_id=999_999
        )


def test_a_line_of_another_amount_is_not_confirmed_by_one_person(session, session_factory, dispatched, today):
    _, (payout,) = dispatched(1)
    more = Booking(payout.payout_key, payout.amount_vnd + 11_000, name=payout.beneficiary_name)
    import_file(session_factory, adapter="bank", data=camt([more], today), file_name="f", actor=FINANCE)
    (found,) = list_exceptions(session, kind="AMOUNT_MISMATCH")
    with pytest.raises(RuleViolation, match="write it off"):
        resolve_exception(
            session,
            FINANCE,
            found.id,
            action="confirm_suggestion",
            reason="close enough",
            payout_id=payout.id,
        )
    session.expire_all()
    assert (payout.state, found.state) == ("accepted", "open")
    assert balance(session, accounts.settlement("bank")) == 0


def test_marking_an_unconfirmed_payout_returned_restores_what_is_owed(session, dispatched):
    _, (payout,) = dispatched(1)
    later = fixed_clock(datetime.now(UTC) + timedelta(days=10))
    age_payouts(session, older_than=timedelta(days=3), actor=FINANCE, clock=later)
    (found,) = list_exceptions(session, kind="UNCONFIRMED_PAYOUT")
    resolve_exception(session, FINANCE, found.id, action="mark_returned", reason="bank says never paid",
                      reason_code="AC01")  # fmt: skip
    session.expire_all()
    assert payout.state == "returned"
    assert payout.reason_code == "AC01"
    assert -balance(session, accounts.payable(payout.beneficiary_id)) == payout.amount_vnd
    assert balance(session, accounts.in_flight("bank")) == 0
    with pytest.raises(Conflict, match="already resolved"):
        resolve_exception(session, FINANCE, found.id, action="acknowledge", reason="again")


def test_a_write_off_needs_a_second_finance_user_and_keeps_its_whole_history(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(1)
    found = _unmatched(session, session_factory, payouts, today)
    assign(session, FINANCE, found.id, "finance.thu")
    resolve_exception(session, FINANCE, found.id, action="write_off", reason="bank fee")
    assert found.state == "pending_approval"
    with pytest.raises(RuleViolation, match="second finance user"):
        approve_write_off(session, FINANCE, found.id, reason="me again")
    with pytest.raises(Conflict, match="awaits"):
        resolve_exception(session, SECOND_FINANCE, found.id, action="acknowledge", reason="skip it")
    approve_write_off(session, SECOND_FINANCE, found.id, reason="agreed")
    assert found.state == "resolved"
    assert found.resolved_by == SECOND_FINANCE.username
    actions = [e.action for e in history(session, found.id)]
    assert actions == ["raised", "assigned", "write_off_proposed", "write_off_approved"]


def test_exceptions_and_their_history_cannot_be_deleted(session, session_factory, dispatched, today):
    _, payouts = dispatched(1)
    found = _unmatched(session, session_factory, payouts, today)
    session.commit()
    for statement in (
        delete(ReconException).where(ReconException.id == found.id),
        delete(ReconExceptionEvent).where(ReconExceptionEvent.exception_id == found.id),
    ):
        with pytest.raises(DBAPIError), session.begin_nested():
            session.execute(statement)
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(text("UPDATE recon_exception_events SET note = 'edited'"))


def test_the_reconcile_and_age_jobs_are_safe_to_run_twice(session, session_factory, settings, dispatched):
    dispatched(1)
    context = JobContext(session_factory, settings, fixed_clock(datetime.now(UTC) + timedelta(days=5)))
    first = JOBS["reconcile"](context)
    assert first["fetched"] == 3  # the configured sandbox's last three closed days
    second = JOBS["reconcile"](context)
    assert second["fetched"] == 0
    assert second["already_imported"] == 3
    assert second["lines"] == 0
    assert JOBS["age_payouts"](context) == {"raised": 1}
    assert JOBS["age_payouts"](context) == {"raised": 0}


def test_a_resolved_exception_cannot_be_reassigned_and_an_unknown_one_is_not_found(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(1)
    found = _unmatched(session, session_factory, payouts, today)
    resolve_exception(session, FINANCE, found.id, action="acknowledge", reason="our own top-up")
    with pytest.raises(Conflict):
        assign(session, FINANCE, found.id, "finance.binh")
    with pytest.raises(NotFound):
        assign(session, FINANCE, 987_654, "finance.binh")


def test_an_exception_of_an_unknown_class_is_refused(session):
    problem = Problem(kind="SOMETHING_ELSE", fingerprint="x", adapter="bank", detail="?")
    with pytest.raises(InvalidInput, match="unknown exception class"):
        raise_exception(session, problem, actor=FINANCE)
