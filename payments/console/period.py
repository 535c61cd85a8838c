"""A period's batches and the people held out of them, for the period page. Read-only.

A build lists each person it held; building again lists a person still held again, and a person
held once may be in a later build's batch by now, so each hold row says when it was made and
whether the person is now in a live batch of the period. Only names and communes are shown:
no citizen ID, account or phone leaves here.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payments.disbursements.model import Batch, BatchHold, Payout
from payments.disbursements.states import BatchState
from payments.registry.model import Beneficiary

DEAD_BATCHES = (BatchState.REJECTED, BatchState.CANCELLED)


@dataclass(frozen=True)
class HeldPerson:
    hold: BatchHold
    full_name: str
    commune_code: str
    now_in_batch: int | None  # a live batch of the period that pays the person now, if any


def batches_of(session: Session, period: str) -> list[Batch]:
    return list(session.scalars(select(Batch).where(Batch.period == period).order_by(Batch.id)))


def people_held(session: Session, period: str) -> int:
    """People held out of the period's builds (a person held by two builds counts once)."""
    query = select(func.count(func.distinct(BatchHold.beneficiary_id))).where(BatchHold.period == period)
    return int(session.scalar(query) or 0)


def held_page(session: Session, period: str, *, after_id: int, limit: int) -> list[HeldPerson]:
    """Hold rows of `period` after `after_id`, oldest first, with the person's name and commune."""
    found = session.execute(
        select(BatchHold, Beneficiary.full_name, Beneficiary.commune_code)
        .join(Beneficiary, Beneficiary.id == BatchHold.beneficiary_id)
        .where(BatchHold.period == period, BatchHold.id > after_id)
        .order_by(BatchHold.id)
        .limit(limit)
    ).all()
    in_batches = _live_batches(session, period, (row.BatchHold.beneficiary_id for row in found))
    return [
        HeldPerson(hold, name, commune, in_batches.get(hold.beneficiary_id)) for hold, name, commune in found
    ]


def _live_batches(session: Session, period: str, beneficiary_ids: Iterable[int]) -> dict[int, int]:
    """{beneficiary id: the latest live batch of `period` with a payout to them}."""
    wanted = list(set(beneficiary_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Payout.beneficiary_id, func.max(Batch.id))
        .join(Batch, Batch.id == Payout.batch_id)
        .where(Batch.period == period, Batch.state.not_in(DEAD_BATCHES), Payout.beneficiary_id.in_(wanted))
        .group_by(Payout.beneficiary_id)
    )
    return {int(beneficiary_id): int(batch_id) for beneficiary_id, batch_id in rows}
