"""A payout put back in the queue (nothing was sent) is sent again with the same key and the same
initiation entry, whatever the day: retried past midnight (in Vietnam, where business days
are counted), it is paid once."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from payments.adapters.errors import AdapterUnavailable
from payments.adapters.vocabulary import PayoutStatus
from payments.clock import fixed_clock
from payments.context import Actor
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.dispatch import DispatchConfig, Dispatcher, DispatchResult
from payments.disbursements.model import Batch
from payments.disbursements.repository import payouts_in
from payments.ledger import accounts
from payments.ledger.draft import EntryKind
from payments.ledger.repository import entries_for_payout
from payments.ledger.services import balance
from payments.ledger.verify import verify_ledger
from payments.reconcile.tieouts import adapter_tie_out
from tests.integration.disbursements.conftest import APPROVER, OFFICER, THRESHOLD

LATE_EVENING = datetime(2024, 8, 6, 16, 50, tzinfo=UTC)  # 23:50 on 6 August in Hanoi
PAST_MIDNIGHT = datetime(2024, 8, 6, 17, 10, tzinfo=UTC)  # 00:10 on 7 August in Hanoi


class Unreachable:
    """A provider that cannot be reached: nothing is sent; status queries go to the sandbox."""

    name = "bank"

    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox
        self.capabilities = sandbox.capabilities

    def send(self, chunk):
        raise AdapterUnavailable("connection refused")

    def status(self, key):
        return self.sandbox.status(key)


@pytest.fixture
def approved_batch(session, owed_people, build):
    owed_people(2)
    (batch,) = build().batches
    submit_batch(session, OFFICER, batch.id)
    approve_batch(
        session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok", threshold_vnd=THRESHOLD
    )
    session.commit()
    return batch


@pytest.fixture
def dispatcher_at(session_factory, cipher):
    def make(moment: datetime, adapter, holder: str = "dispatcher") -> Dispatcher:
        config = DispatchConfig(holder=holder, threshold_vnd=THRESHOLD, chunk_size=2, sleep=lambda _s: None)
        actor = Actor("dispatcher", "system")
        return Dispatcher(session_factory, adapter, cipher, actor, config, clock=fixed_clock(moment))

    return make


def paid_once_with_one_initiation(session, batch_id: int, sandbox) -> None:
    session.expire_all()
    payouts = payouts_in(session, batch_id)
    assert {p.state for p in payouts} == {"settled"}
    assert sandbox.credits() == {p.payout_key: 1 for p in payouts}
    for payout in payouts:
        initiations = [
            e for e in entries_for_payout(session, payout.payout_key) if e.kind == EntryKind.PAYOUT_INITIATED
        ]
        assert [e.effective_date for e in initiations] == [date(2024, 8, 6)]
        assert balance(session, accounts.payable(payout.beneficiary_id)) == 0
    assert balance(session, accounts.in_flight("bank")) == 0
    assert balance(session, accounts.settlement("bank")) == -1_500_000
    assert verify_ledger(session, []).ok


def test_a_payout_requeued_because_the_provider_was_unreachable_is_paid_once_after_midnight(
    session, approved_batch, dispatcher_at, sandbox
):
    stopped = dispatcher_at(LATE_EVENING, Unreachable(sandbox)).dispatch(approved_batch.id)
    assert "unreachable" in stopped.stopped_because
    session.expire_all()
    assert {p.state for p in payouts_in(session, approved_batch.id)} == {"queued"}
    waiting = adapter_tie_out(session, "bank")["in_flight"]  # initiated, to be sent again
    assert (waiting["unsettled_payouts"], waiting["unsettled_vnd"], waiting["holds"]) == (2, 1_500_000, True)

    again = dispatcher_at(PAST_MIDNIGHT, sandbox).dispatch(approved_batch.id)

    assert again.state == "dispatched"
    assert again.sent == 2
    paid_once_with_one_initiation(session, approved_batch.id, sandbox)


def test_a_payout_the_provider_never_received_before_a_crash_is_paid_once_after_midnight(
    session, approved_batch, dispatcher_at, sandbox
):
    crashed = dispatcher_at(LATE_EVENING, sandbox, holder="crashed")
    approved = crashed._start(approved_batch.id)
    assert crashed._record_and_claim(approved_batch.id, [], approved, DispatchResult(approved_batch.id))
    # It died after committing `sending` and the initiation entries, before anything was sent.
    session.execute(update(Batch).values(dispatch_expires_at=None, dispatch_holder=None))
    session.commit()
    keys = [p.payout_key for p in payouts_in(session, approved_batch.id)]
    assert {sandbox.status(key).status for key in keys} == {PayoutStatus.NOT_FOUND}

    again = dispatcher_at(PAST_MIDNIGHT, sandbox).dispatch(approved_batch.id)

    assert again.state == "dispatched"
    assert again.outcomes["not_found"] == 2
    paid_once_with_one_initiation(session, approved_batch.id, sandbox)
    assert {p.send_attempts for p in payouts_in(session, approved_batch.id)} == {2}


def test_a_payout_sent_before_dawn_in_hanoi_is_initiated_and_settled_on_that_day(
    session, approved_batch, dispatcher_at, sandbox
):
    dawn = datetime(2024, 8, 6, 22, 30, tzinfo=UTC)  # 05:30 on 7 August in Hanoi

    dispatcher_at(dawn, sandbox).dispatch(approved_batch.id)

    session.expire_all()
    for payout in payouts_in(session, approved_batch.id):
        days = {e.kind: e.effective_date for e in entries_for_payout(session, payout.payout_key)}
        assert days == {
            EntryKind.PAYOUT_INITIATED: date(2024, 8, 7),
            EntryKind.PAYOUT_SETTLED: date(2024, 8, 7),
        }
