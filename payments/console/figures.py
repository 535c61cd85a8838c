"""The dashboard's figures for one period: read-only queries, each one aggregate.

accrued: what the ledger booked to expense for the month (accruals and arrears);
in batches: the totals of the month's batches not rejected or cancelled;
paid / returned / in doubt: the month's payouts by state; held: people left out of its batches.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payments.disbursements.model import Batch, BatchHold, Payout
from payments.disbursements.states import BatchState, PayoutState
from payments.ledger.draft import EntryKind
from payments.ledger.model import Account, Entry, Posting
from payments.reconcile.model import ReconException

DEAD_BATCHES = (BatchState.REJECTED, BatchState.CANCELLED)


@dataclass(frozen=True)
class Figure:
    amount_vnd: int = 0
    count: int = 0


@dataclass
class PeriodFigures:
    period: str
    accrued: Figure = field(default_factory=Figure)
    in_batches: Figure = field(default_factory=Figure)
    paid: Figure = field(default_factory=Figure)
    returned: Figure = field(default_factory=Figure)
    in_doubt: Figure = field(default_factory=Figure)
    held: Figure = field(default_factory=Figure)
    batches_by_state: dict[str, int] = field(default_factory=dict)


def period_figures(session: Session, period: str) -> PeriodFigures:
    figures = PeriodFigures(period, accrued=_accrued(session, period), held=_held(session, period))
    batches = session.execute(
        select(
            Batch.state,
            func.count(),
            func.coalesce(func.sum(Batch.total_vnd), 0),
            func.sum(Batch.payout_count),
        )
        .where(Batch.period == period)
        .group_by(Batch.state)
    ).all()
    figures.batches_by_state = {state: n for state, n, _total, _payouts in batches}
    live = [
        (int(total), int(payouts or 0)) for state, _n, total, payouts in batches if state not in DEAD_BATCHES
    ]
    figures.in_batches = Figure(sum(t for t, _ in live), sum(p for _, p in live))
    by_state = _payouts_by_state(session, period)
    figures.paid = by_state.get(PayoutState.SETTLED, Figure())
    figures.returned = _sum(by_state.get(PayoutState.RETURNED), by_state.get(PayoutState.REJECTED))
    figures.in_doubt = by_state.get(PayoutState.IN_DOUBT, Figure())
    return figures


def _accrued(session: Session, period: str) -> Figure:
    row = session.execute(
        select(func.coalesce(func.sum(Posting.amount_vnd), 0), func.count(func.distinct(Entry.seq)))
        .join(Entry, Entry.seq == Posting.entry_seq)
        .join(Account, Account.id == Posting.account_id)
        .where(
            Entry.period == period,
            Entry.kind.in_((EntryKind.ACCRUAL, EntryKind.ARREARS)),
            Account.type == "expense",
        )
    ).one()
    return Figure(int(row[0]), int(row[1]))


def _held(session: Session, period: str) -> Figure:
    """People held out (a rebuild lists a person again, so count people, not rows; no sum)."""
    people = session.scalar(
        select(func.count(func.distinct(BatchHold.beneficiary_id))).where(BatchHold.period == period)
    )
    return Figure(0, int(people or 0))


def _payouts_by_state(session: Session, period: str) -> dict[str, Figure]:
    rows = session.execute(
        select(Payout.state, func.count(), func.coalesce(func.sum(Payout.amount_vnd), 0))
        .join(Batch, Batch.id == Payout.batch_id)
        .where(Batch.period == period)
        .group_by(Payout.state)
    )
    return {state: Figure(int(total), int(n)) for state, n, total in rows}


def _sum(*figures: Figure | None) -> Figure:
    present = [f for f in figures if f is not None]
    return Figure(sum(f.amount_vnd for f in present), sum(f.count for f in present))


def open_exceptions(session: Session) -> int:
    """Reconciliation exceptions not yet resolved (open, or a write-off awaiting approval)."""
    query = select(func.count()).select_from(ReconException).where(ReconException.state != "resolved")
    return int(session.scalar(query) or 0)


def recent_periods(session: Session, limit: int = 6) -> list[str]:
    """The latest periods that have batches, newest first (links beside the period picker)."""
    query = select(Batch.period).distinct().order_by(Batch.period.desc()).limit(limit)
    return list(session.scalars(query))
