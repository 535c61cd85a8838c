"""The scheduler's dispatch job: a batch that cannot be dispatched is recorded and skipped, the
batches after it are still sent, and the run fails so that someone looks; a batch another
dispatcher is sending is merely busy."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from payments.audit.repository import search_events
from payments.clock import fixed_clock
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.model import Batch, Payout
from payments.disbursements.outcomes import initiation_key
from payments.disbursements.repository import payouts_in
from payments.jobs import JOBS
from payments.ledger import accounts
from payments.ledger.draft import EntryDraft, EntryKind
from payments.ledger.services import post_entry
from payments.scheduling.model import JobRun
from payments.scheduling.runs import JobContext, run_recorded
from tests.integration.disbursements.conftest import APPROVER, OFFICER, THRESHOLD

BREAKAGES = ("manifest_changed", "adapter_retired")


@pytest.fixture
def context(session_factory, settings) -> JobContext:
    return JobContext(session_factory, settings, fixed_clock(datetime(2024, 7, 28, 2, 0, tzinfo=UTC)))


@pytest.fixture
def approved_batches(session, owed_people, context):
    """Two approved batches (two programmes), oldest first."""
    owed_people(1)
    owed_people(1, "NCC_WAR_INVALID", injury_rate=21)
    assert JOBS["build_batches"](context)["batches"] == 2
    batches = session.scalars(select(Batch).order_by(Batch.id)).all()
    for batch in batches:
        submit_batch(session, OFFICER, batch.id)
        approve_batch(
            session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok",
            threshold_vnd=THRESHOLD,
        )  # fmt: skip
    session.commit()
    return batches


def break_batch(session, batch: Batch, breakage: str) -> str:
    """Make `batch` impossible to dispatch; what the refusal says."""
    if breakage == "manifest_changed":
        session.execute(update(Payout).where(Payout.batch_id == batch.id).values(amount_vnd=9_999_999))
        why = "no longer match the manifest"
    else:
        session.execute(update(Batch).where(Batch.id == batch.id).values(adapter="retired_bank"))
        why = "adapter 'retired_bank', which is not configured"
    session.commit()
    return why


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_batch_that_cannot_be_dispatched_does_not_hold_up_the_next_and_fails_the_run(
    session, context, approved_batches, breakage
):
    broken, good = approved_batches
    why = break_batch(session, broken, breakage)

    run = run_recorded(context, "dispatch", "scheduler-1", JOBS["dispatch"])

    session.expire_all()
    assert session.get(Batch, good.id).state == "dispatched"
    assert {p.state for p in payouts_in(session, good.id)} == {"settled"}
    assert session.get(Batch, broken.id).state == "approved"
    stored = session.get(JobRun, run.id)
    assert stored.outcome == "failed"
    assert f"batch {broken.id}: RuleViolation" in stored.error
    assert why in stored.error
    assert "1 batch(es) could not be dispatched (batches 1, sent 1, busy 0)" in stored.error
    assert stored.counts == {"failed": 1, "batches": 1, "sent": 1, "busy": 0}
    (event,) = search_events(session, action="batch.dispatch_failed")
    assert event.target_id == str(broken.id)
    assert why in event.summary["after"]["detail"]


def test_the_next_run_fails_again_on_the_same_batch_alone(session, context, approved_batches):
    broken, _good = approved_batches
    break_batch(session, broken, "manifest_changed")
    run_recorded(context, "dispatch", "scheduler-1", JOBS["dispatch"])
    again = run_recorded(context, "dispatch", "scheduler-1", JOBS["dispatch"])
    session.expire_all()
    stored = session.get(JobRun, again.id)
    assert stored.outcome == "failed"
    assert "(batches 0, sent 0, busy 0)" in stored.error  # the good batch was not sent again
    assert [e.target_id for e in search_events(session, action="batch.dispatch_failed")] == [
        str(broken.id)
    ] * 2


def test_a_batch_another_dispatcher_is_sending_counts_as_busy_not_failed(
    session, context, approved_batches, dispatcher
):
    held, good = approved_batches
    dispatcher("another-scheduler")._start(held.id)  # it holds the lease, still sending

    run = run_recorded(context, "dispatch", "scheduler-1", JOBS["dispatch"])

    session.expire_all()
    stored = session.get(JobRun, run.id)
    assert (stored.outcome, stored.counts) == ("succeeded", {"batches": 1, "sent": 1, "busy": 1})
    assert session.get(Batch, good.id).state == "dispatched"
    assert search_events(session, action="batch.dispatch_failed") == []


def test_a_ledger_conflict_fails_the_batch_rather_than_passing_for_busy(session, context, approved_batches):
    clashing, good = approved_batches
    (payout,) = payouts_in(session, clashing.id)
    # A stray entry already holds this payout's initiation key (a bug elsewhere, a bad restore).
    stray = EntryDraft(
        idempotency_key=initiation_key(payout.payout_key), kind=EntryKind.PAYOUT_INITIATED,
        effective_date=date(2024, 7, 1), payout_ref=payout.payout_key,
        postings=((accounts.in_flight(clashing.adapter), 1), (accounts.settlement(clashing.adapter), -1)),
    )  # fmt: skip
    post_entry(session, stray, actor=OFFICER)
    session.commit()

    run = run_recorded(context, "dispatch", "scheduler-1", JOBS["dispatch"])

    session.expire_all()
    stored = session.get(JobRun, run.id)
    assert stored.outcome == "failed"
    assert f"batch {clashing.id}: Conflict: idempotency key 'initiate:{payout.payout_key}'" in stored.error
    assert "(batches 1, sent 1, busy 0)" in stored.error
    assert session.get(Batch, good.id).state == "dispatched"
