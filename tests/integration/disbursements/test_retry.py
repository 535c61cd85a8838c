"""Follow-up batches: only a dispatched batch's failed payouts are paid again, linked to them."""

from datetime import date

import pytest
from sqlalchemy import func, select

from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import ReasonCode
from payments.audit.model import AuditEvent
from payments.disbursements.approval import approve_batch, cancel_batch, submit_batch
from payments.disbursements.model import Batch
from payments.disbursements.repository import holds_for, payouts_in
from payments.disbursements.retry import build_retry_batch
from payments.disbursements.snapshots import open_snapshot
from payments.errors import NotFound, RuleViolation
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.ledger.verify import verify_ledger
from payments.reconcile.callbacks import receive_callback
from tests.integration.disbursements.conftest import APPROVER, OFFICER, THRESHOLD
from tests.support.people import give_bank_account

CLOSED = Outcome("reject", ReasonCode.AC04)


@pytest.fixture
def approve(session):
    def go(batch: Batch) -> Batch:
        submit_batch(session, OFFICER, batch.id)
        approve_batch(session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok",
                      threshold_vnd=THRESHOLD)  # fmt: skip
        session.commit()
        return batch

    return go


@pytest.fixture
def paid(session, owed_people, build, approve, dispatcher, sandbox):
    """paid(4, rejected=[1]) -> (the July batch, built, approved and dispatched, people), the
    accounts of the people at those positions rejected by the bank as closed."""

    def make(count: int, *, rejected: tuple[int, ...] = ()):
        people = owed_people(count)
        for position in rejected:
            sandbox.script_creditor(people[position][1], CLOSED)
        (batch,) = build().batches
        approve(batch)
        dispatcher().dispatch(batch.id)
        session.expire_all()
        return batch, people

    return make


@pytest.fixture
def retry(session, routing, cipher):
    def go(batch_id: int, on: date = date(2024, 8, 20)):
        result = build_retry_batch(
            session, batch_id, routing, cipher, actor=OFFICER, hold_days=30, on_date=on
        )
        session.commit()
        return result

    return go


def return_after_settlement(session, sandbox, payout_key: str) -> None:
    """The bank sends a settled payout back and says so in a callback, reconciled as it arrives."""
    sandbox.take_callbacks()  # the settlement callbacks of the dispatch change nothing here
    sandbox.return_payout(payout_key, ReasonCode.AC04)
    for headers, body in sandbox.take_callbacks():
        receive_callback(session, "bank", sandbox, headers, body)
    session.commit()


def by_person(session, batch_id: int):
    session.expire_all()
    return {p.beneficiary_id: p for p in payouts_in(session, batch_id)}


def test_a_follow_up_pays_again_only_the_people_whose_payouts_failed_linked_to_them(
    session, paid, retry, sandbox
):
    batch, people = paid(4, rejected=(1,))
    (settled, _), (rejected, _), (returned, _), (also_settled, _) = people
    original = by_person(session, batch.id)
    return_after_settlement(session, sandbox, original[returned].payout_key)
    assert {p.beneficiary_id: p.state for p in by_person(session, batch.id).values()} == {
        settled: "settled", rejected: "rejected", returned: "returned", also_settled: "settled",
    }  # fmt: skip

    result = retry(batch.id)

    (follow_up,) = result.batches
    assert result.holds == []
    assert follow_up.parent_batch_id == batch.id
    assert follow_up.state == "draft"
    assert (follow_up.payout_count, follow_up.total_vnd) == (2, 1_500_000)
    payouts = by_person(session, follow_up.id)
    assert set(payouts) == {rejected, returned}
    for person, payout in payouts.items():
        assert payout.original_payout_id == original[person].id
        assert payout.payout_key == f"2407-{person:08d}-02-BTXH"  # the next attempt, a new key
        assert payout.amount_vnd == 750_000


def test_the_follow_up_is_audited_on_the_batch_it_retries(session, paid, retry):
    batch, _ = paid(2, rejected=(0,))
    (follow_up,) = retry(batch.id).batches
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "batch.retry_build"))
    assert (event.target_type, event.target_id, event.actor) == ("batch", str(batch.id), OFFICER.username)
    after = event.summary["after"]
    assert after["follow_up_batches"] == [follow_up.id]
    assert (after["payouts"], after["total_vnd"], after["failed"]) == (1, 750_000, 1)


def test_the_follow_up_pays_to_the_persons_current_instrument_once_the_change_hold_has_passed(
    session, paid, retry, cipher
):
    batch, people = paid(2, rejected=(1,))
    person, closed_account = people[1]
    fixed_account = f"0081000{person:06d}"
    give_bank_account(session, person, fixed_account, since=date(2024, 8, 10))

    too_soon = retry(batch.id, on=date(2024, 8, 20))  # the same holds as any build: a new account waits
    assert too_soon.batches == []
    (hold,) = too_soon.holds
    assert (hold.beneficiary_id, hold.amount_vnd) == (person, 750_000)
    assert [r["code"] for r in hold.reasons] == ["instrument_changed"]

    (follow_up,) = retry(batch.id, on=date(2024, 9, 15)).batches
    (payout,) = payouts_in(session, follow_up.id)
    assert open_snapshot(cipher, payout)["account"] == fixed_account
    assert closed_account not in str(payout.instrument_masked)


def test_approving_and_dispatching_the_follow_up_pays_each_person_once(
    session, paid, retry, approve, dispatcher, sandbox
):
    batch, people = paid(3, rejected=(0, 2))
    failed_keys = {p.payout_key for p in payouts_in(session, batch.id) if p.state == "rejected"}
    for _, account in (people[0], people[2]):
        sandbox.script_creditor(account, Outcome())  # the bank reopened the accounts

    (follow_up,) = retry(batch.id).batches
    with pytest.raises(RuleViolation, match="only an approved batch"):
        dispatcher().dispatch(follow_up.id)  # a follow-up goes through maker-checker like any batch
    approve(follow_up)
    assert dispatcher().dispatch(follow_up.id).state == "dispatched"

    new_keys = {p.payout_key for p in payouts_in(session, follow_up.id)}
    credits = sandbox.credits()
    assert {key: credits.get(key) for key in new_keys} == dict.fromkeys(new_keys, 1)
    assert failed_keys.isdisjoint(credits)  # a rejected key was never credited, nor resent
    assert set(credits.values()) == {1}
    assert len(credits) == 3  # one settled first time, two in the follow-up
    assert all(balance(session, accounts.payable(b)) == 0 for b, _ in people)
    assert balance(session, accounts.in_flight("bank")) == 0
    assert verify_ledger(session, []).ok


def test_a_person_whose_instrument_failed_twice_is_held_for_an_officer(
    session, paid, retry, approve, dispatcher
):
    batch, people = paid(2, rejected=(1,))
    person = people[1][0]
    (first_retry,) = retry(batch.id).batches
    approve(first_retry)
    dispatcher().dispatch(first_retry.id)  # the same closed account rejects again
    assert by_person(session, first_retry.id)[person].state == "rejected"

    second = retry(first_retry.id)

    assert second.batches == []
    (hold,) = second.holds
    assert hold.beneficiary_id == person
    assert {"code": "repeated_failures", "detail": "2 payouts to this instrument failed"} in hold.reasons
    assert hold in holds_for(session, "2024-07")  # listed for an officer with the period's holds


def test_retrying_again_builds_no_second_follow_up(session, paid, retry):
    batch, _ = paid(3, rejected=(0, 1))
    retry(batch.id)
    with pytest.raises(RuleViolation, match="of its 2 failed payouts, 2 already followed up"):
        retry(batch.id)
    assert session.scalar(select(func.count()).where(Batch.parent_batch_id == batch.id)) == 1


def test_a_cancelled_follow_up_leaves_the_failures_to_retry_again(session, paid, retry):
    batch, people = paid(2, rejected=(0,))
    (cancelled,) = retry(batch.id).batches
    cancel_batch(session, OFFICER, cancelled.id, reason="wrong day for the bank")
    session.commit()
    (again,) = retry(batch.id).batches
    (payout,) = payouts_in(session, again.id)
    assert payout.original_payout_id == by_person(session, batch.id)[people[0][0]].id
    assert payout.attempt == 3  # the cancelled follow-up used attempt 2; keys are never reused


def test_a_failure_a_normal_build_already_paid_again_is_not_retried(session, paid, build, retry):
    batch, people = paid(2, rejected=(1,))
    (rebuilt,) = build().batches  # the normal build pays the rejected person again, linked
    assert by_person(session, rebuilt.id)[people[1][0]].original_payout_id is not None
    with pytest.raises(RuleViolation, match="1 already followed up"):
        retry(batch.id)


def test_an_unknown_batch_is_not_found(retry):
    with pytest.raises(NotFound, match="batch 424242 does not exist"):
        retry(424242)


def test_a_batch_not_yet_dispatched_has_nothing_that_can_have_failed(
    session, owed_people, build, approve, retry
):
    owed_people(1)
    (batch,) = build().batches
    approve(batch)
    with pytest.raises(RuleViolation, match="is approved: nothing can have failed before it is dispatched"):
        retry(batch.id)


def test_a_batch_where_nothing_failed_builds_no_empty_batch(session, paid, retry):
    batch, _ = paid(2)
    before = session.scalar(select(func.count()).select_from(Batch))
    with pytest.raises(RuleViolation, match="no rejected or returned payouts: nothing to retry"):
        retry(batch.id)
    assert session.scalar(select(func.count()).select_from(Batch)) == before
