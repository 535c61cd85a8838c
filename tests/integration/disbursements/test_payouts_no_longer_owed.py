"""Dispatch sends a payout only while the ledger still owes the person its amount: a recovery
posted between the build and the dispatch (an enrolment found to have ended) is not overpaid."""

from datetime import date

import pytest
from sqlalchemy import select

from payments.audit.repository import search_events
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.repository import payouts_in
from payments.disbursements.retry import build_retry_batch
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.errors import RuleViolation
from payments.ledger import accounts
from payments.ledger.repository import entries_for_payout
from payments.ledger.services import balance
from payments.ledger.verify import verify_ledger
from payments.registry.enrolments import change_status
from payments.registry.model import Enrolment
from tests.integration.disbursements.conftest import APPROVER, OFFICER, THRESHOLD


def approve(session, batch) -> None:
    submit_batch(session, OFFICER, batch.id)
    approve_batch(
        session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok", threshold_vnd=THRESHOLD
    )
    session.commit()


@pytest.fixture
def august_batch(session, session_factory, owed_people, build, dispatcher):
    """Two people enrolled from July, in an approved batch of August not yet sent: each paid
    750,000 for August (July paid already), or 1,500,000 for July and August."""

    def make(*, july_paid: bool):
        people = owed_people(2)
        if july_paid:
            (july,) = build().batches
            approve(session, july)
            assert dispatcher().dispatch(july.id).state == "dispatched"
        accrue(session_factory, Period(2024, 8), load_rate_set(session, "68"), actor=OFFICER)
        (batch,) = build("2024-08", on=date(2024, 9, 5)).batches
        approve(session, batch)
        return batch, [person for person, _account in people]

    return make


def terminate_in_july(session, session_factory, person: int) -> None:
    """The person's enrolment ended in July; September's accrual recovers August, not due."""
    enrolment = session.scalars(select(Enrolment.id).where(Enrolment.beneficiary_id == person)).one()
    change_status(session, OFFICER, enrolment, "terminated", "not eligible", effective_date=date(2024, 7, 31))
    session.commit()
    accrue(session_factory, Period(2024, 9), load_rate_set(session, "68"), actor=OFFICER)
    session.expire_all()


def by_person(session, batch_id: int):
    session.expire_all()
    return {p.beneficiary_id: p for p in payouts_in(session, batch_id)}


def test_a_payout_recovered_in_full_after_approval_is_not_sent(
    session, session_factory, august_batch, dispatcher, sandbox
):
    batch, (kept, ended) = august_batch(july_paid=True)
    terminate_in_july(session, session_factory, ended)
    assert balance(session, accounts.payable(ended)) == 0  # the recovery came out of payable

    result = dispatcher().dispatch(batch.id)

    assert result.state == "dispatched"
    assert result.outcomes == {"settled": 1, "not_owed": 1}
    payouts = by_person(session, batch.id)
    assert sandbox.credits()[payouts[kept].payout_key] == 1
    refused = payouts[ended]
    assert refused.payout_key not in sandbox.credits()
    assert (refused.state, refused.reason_code) == ("rejected", "NOT_OWED")
    assert "owes this person 0 VND, less than the 750000 VND approved" in refused.reason_text
    assert entries_for_payout(session, refused.payout_key) == []  # no money moved
    assert balance(session, accounts.payable(ended)) == 0  # nothing overpaid
    assert balance(session, accounts.receivable(ended)) == 0
    assert -balance(session, accounts.payable(kept)) == 750_000  # September, accrued since
    assert balance(session, accounts.in_flight("bank")) == 0
    assert balance(session, accounts.settlement("bank")) == -2_250_000  # July twice, August once
    assert verify_ledger(session, []).ok
    (event,) = search_events(session, action="payout.not_owed")
    assert event.target_id == str(refused.id)
    assert event.summary["after"]["owed_vnd"] == 0


def test_a_payout_partly_recovered_is_not_sent_and_its_retry_pays_what_is_still_owed(
    session, session_factory, august_batch, dispatcher, sandbox, routing, cipher
):
    batch, (_kept, ended) = august_batch(july_paid=False)
    terminate_in_july(session, session_factory, ended)  # July stays due
    assert -balance(session, accounts.payable(ended)) == 750_000

    assert dispatcher().dispatch(batch.id).state == "dispatched"
    refused = by_person(session, batch.id)[ended]
    assert (refused.state, refused.reason_code) == ("rejected", "NOT_OWED")
    assert "owes this person 750000 VND, less than the 1500000 VND approved" in refused.reason_text
    assert refused.payout_key not in sandbox.credits()

    (follow_up,) = build_retry_batch(
        session, batch.id, routing, cipher, actor=OFFICER, hold_days=30, on_date=date(2024, 9, 6)
    ).batches
    (retry,) = payouts_in(session, follow_up.id)
    assert (retry.beneficiary_id, retry.amount_vnd, retry.original_payout_id) == (ended, 750_000, refused.id)


def test_a_person_no_longer_owed_is_not_paid_and_nothing_is_left_to_retry(
    session, session_factory, august_batch, dispatcher, routing, cipher
):
    batch, (_kept, ended) = august_batch(july_paid=True)
    terminate_in_july(session, session_factory, ended)
    dispatcher().dispatch(batch.id)
    session.expire_all()
    with pytest.raises(RuleViolation, match="1 no longer owed anything"):
        build_retry_batch(session, batch.id, routing, cipher, actor=OFFICER, hold_days=30)
