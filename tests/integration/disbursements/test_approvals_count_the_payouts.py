"""How many approvals a batch needs follows the amounts of its payouts, which the manifest hash
covers, never the total stored beside them, which it does not: a lowered total buys nothing."""

import pytest
from sqlalchemy import update

from payments.context import Actor
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.dispatch import DispatchConfig, Dispatcher
from payments.disbursements.model import Batch
from payments.errors import RuleViolation
from tests.integration.disbursements.conftest import APPROVER, OFFICER, SECOND_APPROVER

LOWER_THRESHOLD = 1_000_000  # two people owed 750,000 each: 1,500,000 needs two approvers


@pytest.fixture
def submitted(session, owed_people, build):
    owed_people(2)
    (batch,) = build().batches
    submit_batch(session, OFFICER, batch.id)
    session.commit()
    return batch


def lower_the_stored_total(session, batch_id: int) -> None:
    session.execute(update(Batch).where(Batch.id == batch_id).values(total_vnd=500_000))
    session.commit()
    session.expire_all()


def approve(session, approver: Actor, batch: Batch, threshold_vnd: int) -> str:
    approve_batch(
        session,
        approver,
        batch.id,
        manifest_seen=batch.manifest_hash,
        comment="ok",
        threshold_vnd=threshold_vnd,
    )
    session.commit()
    return session.get(Batch, batch.id).state


def test_a_lowered_stored_total_does_not_spare_the_second_approval(session, submitted):
    lower_the_stored_total(session, submitted.id)
    assert approve(session, APPROVER, submitted, LOWER_THRESHOLD) == "pending_approval"
    assert approve(session, SECOND_APPROVER, submitted, LOWER_THRESHOLD) == "approved"


def test_the_dispatcher_counts_the_payouts_it_checked_not_the_stored_total(
    session, session_factory, submitted, sandbox, cipher
):
    assert approve(session, APPROVER, submitted, 5_000_000) == "approved"  # one approver sufficed then
    lower_the_stored_total(session, submitted.id)
    config = DispatchConfig(holder="d", threshold_vnd=LOWER_THRESHOLD, sleep=lambda _s: None)
    dispatcher = Dispatcher(session_factory, sandbox, cipher, Actor("dispatcher", "system"), config)
    with pytest.raises(RuleViolation, match="not enough approvals"):
        dispatcher.dispatch(submitted.id)
    assert sandbox.credits() == {}
