"""Whether the ledger still owes what a payout pays, checked as dispatch claims it.

A batch freezes each person's payable balance when it is built, and the approvers approve those
amounts. A recovery or correction posted since (a late death, an enrolment found to have ended)
takes money out of that same payable: sending the frozen amount would pay more than was accrued
minus recovered, and the overpayment would show only as a debit on payable that nobody recovers.
So a claim reads its chunk's payables (cached balances, one query) under the ledger writer lock,
which it holds until its initiation entries are posted, and refuses each payout they no longer
cover: rejected with reason NOT_OWED (see `states.py`), never sent, and audited. Payable
balances are credits: a person owed 750,000 đồng has a balance of -750,000.

The same claim refuses, with reason DISPUTED, a payout to someone whose earlier failed payout
a provider says it paid after all, while finance has not resolved that exception: the build
holds such a person (holds.py), and this catches a batch built before the news came.
"""

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from payments.audit.services import EventSpec, record_events
from payments.clock import Clock
from payments.context import Actor
from payments.disbursements import outbox, repository
from payments.disbursements.states import DISPUTED, NOT_OWED, PayoutState
from payments.errors import Conflict
from payments.ledger import accounts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """A queued payout refused as it is claimed: never sent, rejected with `reason`."""

    payout_id: int
    payout_key: str
    amount_vnd: int
    reason: str  # NOT_OWED or DISPUTED
    reason_text: str
    facts: dict[str, int]  # for the audit event: what the ledger owes, or the exception open

    @property
    def action(self) -> str:
        return "payout.not_owed" if self.reason == NOT_OWED else "payout.disputed"


def _uncovered(row: outbox.QueuedPayout, owed_vnd: int) -> Refusal:
    text = (
        f"not sent: the ledger now owes this person {owed_vnd} VND, less than the"
        f" {row.amount_vnd} VND approved (a recovery or correction since the batch was built);"
        " a retry batch pays what is owed"
    )
    return Refusal(row.id, row.payout_key, row.amount_vnd, NOT_OWED, text, {"owed_vnd": owed_vnd})


def disputed(session: Session, rows: Sequence[outbox.QueuedPayout]) -> list[Refusal]:
    """The rows whose person has a failed payout a provider says it paid, not yet resolved."""
    found = repository.failures_said_paid(session, {row.beneficiary_id for row in rows})
    refused = []
    for row in rows:
        if row.beneficiary_id in found:
            exception_id, key = found[row.beneficiary_id][0]
            text = (
                f"not sent: the provider says this person's payout {key} was paid although it is "
                f"recorded as failed; finance resolves exception {exception_id} with the provider "
                "first, then a retry batch pays what is owed"
            )
            facts = {"exception_id": exception_id}
            refused.append(Refusal(row.id, row.payout_key, row.amount_vnd, DISPUTED, text, facts))
    return refused


def uncovered(
    session: Session, rows: Sequence[outbox.QueuedPayout], initiated: Collection[str]
) -> list[Refusal]:
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
            refused.append(_uncovered(row, max(left, 0)))
    return refused


def refuse(
    session: Session,
    batch_id: int,
    refused: Sequence[Refusal],
    now: datetime,
    *,
    actor: Actor,
    clock: Clock,
) -> None:
    """Move the refused payouts from queued to rejected (their reason spelled out for the
    officer) and audit each. No ledger entry: nothing left the payable."""
    queued, rejected = PayoutState.QUEUED.value, PayoutState.REJECTED.value
    moves = [outbox.PayoutMove(u.payout_id, queued, rejected, u.reason, u.reason_text, None) for u in refused]
    if outbox.move_payouts(session, moves, now) != len(moves):
        raise Conflict(f"batch {batch_id}: payouts changed state while being claimed")
    for u in refused:
        log.warning("batch %s: payout %s %s", batch_id, u.payout_key, u.reason_text)
    events = [
        EventSpec(u.action, "payout", u.payout_id, before={"state": queued},
                  after={"state": rejected, "reason": u.reason, "payout_key": u.payout_key,
                         "batch_id": batch_id, "amount_vnd": u.amount_vnd, **u.facts})
        for u in refused
    ]  # fmt: skip
    record_events(session, actor, events, clock=clock)
