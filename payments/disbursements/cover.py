"""Whether the ledger still owes what a payout pays, checked as dispatch claims it.

A batch freezes each person's payable balance when it is built, and the approvers approve those
amounts. A recovery or correction posted since (a late death, an enrolment found to have ended)
takes money out of that same payable: sending the frozen amount would pay more than was accrued
minus recovered, and the overpayment would show only as a debit on payable that nobody recovers.
So a claim reads its chunk's payables (cached balances, one query) under the ledger writer lock,
which it holds until its initiation entries are posted, and refuses each payout they no longer
cover: rejected with reason NOT_OWED (see `states.py`), never sent, and audited. Payable
balances are credits: a person owed 750,000 đồng has a balance of -750,000.
"""

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from payments.audit.services import EventSpec, record_events
from payments.clock import Clock
from payments.context import Actor
from payments.disbursements import outbox
from payments.disbursements.states import NOT_OWED, PayoutState
from payments.errors import Conflict
from payments.ledger import accounts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Uncovered:
    """A queued payout the person's payable no longer covers, and what it does cover."""

    payout_id: int
    payout_key: str
    amount_vnd: int
    owed_vnd: int

    @property
    def reason_text(self) -> str:
        return (
            f"not sent: the ledger now owes this person {self.owed_vnd} VND, less than the"
            f" {self.amount_vnd} VND approved (a recovery or correction since the batch was built);"
            " a retry batch pays what is owed"
        )


def uncovered(
    session: Session, rows: Sequence[outbox.QueuedPayout], initiated: Collection[str]
) -> list[Uncovered]:
    """The rows whose person's payable no longer covers them, counting the chunk's earlier
    payouts to the same person first. Rows whose key is in `initiated` are not checked: their
    money left the payable when they were first claimed (they were queued again since)."""
    fresh = [row for row in rows if row.payout_key not in initiated]
    codes = {row.beneficiary_id: accounts.payable(row.beneficiary_id) for row in fresh}
    found = outbox.cached_balances(session, list(codes.values()))
    owed = {beneficiary: -found.get(code, 0) for beneficiary, code in codes.items()}
    refused = []
    for row in fresh:
        left = owed[row.beneficiary_id]
        if left >= row.amount_vnd:
            owed[row.beneficiary_id] = left - row.amount_vnd
        else:
            refused.append(Uncovered(row.id, row.payout_key, row.amount_vnd, max(left, 0)))
    return refused


def refuse(
    session: Session,
    batch_id: int,
    refused: Sequence[Uncovered],
    now: datetime,
    *,
    actor: Actor,
    clock: Clock,
) -> None:
    """Move the refused payouts from queued to rejected (NOT_OWED, with the reason spelled out
    for the officer) and audit each. No ledger entry: nothing left the payable."""
    queued, rejected = PayoutState.QUEUED.value, PayoutState.REJECTED.value
    moves = [outbox.PayoutMove(u.payout_id, queued, rejected, NOT_OWED, u.reason_text, None) for u in refused]
    if outbox.move_payouts(session, moves, now) != len(moves):
        raise Conflict(f"batch {batch_id}: payouts changed state while being claimed")
    for u in refused:
        log.warning("batch %s: payout %s %s", batch_id, u.payout_key, u.reason_text)
    events = [
        EventSpec("payout.not_owed", "payout", u.payout_id, before={"state": queued},
                  after={"state": rejected, "reason": NOT_OWED, "payout_key": u.payout_key,
                         "batch_id": batch_id, "amount_vnd": u.amount_vnd, "owed_vnd": u.owed_vnd})
        for u in refused
    ]  # fmt: skip
    record_events(session, actor, events, clock=clock)
