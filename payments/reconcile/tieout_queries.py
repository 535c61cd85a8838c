"""The totals reconciliation ties out: the ledger's settlement postings against the statements.

What the matched and written-off movement lines of the adapter's statements explain, its
write-offs, its payouts still in flight, and the three-way count of settled payouts (ledger,
confirmation, statement). Queries only, no rules: `tieouts.py` compares.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, String, and_, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from payments.disbursements.model import Batch, Payout
from payments.disbursements.states import IN_FLIGHT_STATES, PayoutState
from payments.ledger import accounts
from payments.ledger.model import Account, Entry, Posting
from payments.reconcile.lines import CREDIT, DEBIT
from payments.reconcile.model import WRITE_OFF_KEY_PREFIX, ReconException, ReconImport, ReconLine, ReconMatch

EXPLAINING = ("settled", "confirmed", "returned")  # match outcomes whose payout entry stands for the line


def settlement_account_id(session: Session, adapter: str) -> int | None:
    return session.scalar(select(Account.id).where(Account.code == accounts.settlement(adapter)))


def explained_movement(session: Session, adapter: str, import_ids: Select | Sequence[int]) -> int:
    """The adapter's settlement postings that stand for the movement lines of `import_ids`:
    for each line matched to payouts (settled, confirmed or returned by it), their settle
    postings (a debit line) or return postings (a credit line), whatever day they are dated;
    and for each line written off, its write-off entry's posting."""
    account = settlement_account_id(session, adapter)
    if account is None:
        return 0
    return _matched_postings(session, account, import_ids) + _written_off_lines(session, account, import_ids)


def _matched_postings(session: Session, account: int, import_ids: Select | Sequence[int]) -> int:
    """Each posting once, however many lines it is matched through: a payout's one settlement
    never explains two bookings of it."""
    same_sign = or_(
        and_(ReconLine.direction == DEBIT, Posting.amount_vnd < 0),
        and_(ReconLine.direction == CREDIT, Posting.amount_vnd > 0),
    )
    postings = (
        select(Posting.entry_seq, Posting.line, Posting.amount_vnd)
        .select_from(ReconLine)
        .join(ReconMatch, and_(ReconMatch.line_id == ReconLine.id, ReconMatch.outcome.in_(EXPLAINING)))
        .join(Payout, Payout.id == ReconMatch.payout_id)
        .join(Entry, and_(Entry.payout_ref == Payout.payout_key, Entry.payout_ref.is_not(None)))
        .join(Posting, and_(Posting.entry_seq == Entry.seq, Posting.account_id == account))
        .where(ReconLine.import_id.in_(import_ids), ReconLine.movement.is_(True), same_sign)
        .distinct()
        .subquery()
    )
    return int(session.scalar(select(func.coalesce(func.sum(postings.c.amount_vnd), 0))) or 0)


def _written_off_lines(session: Session, account: int, import_ids: Select | Sequence[int]) -> int:
    query = (
        select(func.coalesce(func.sum(Posting.amount_vnd), 0))
        .select_from(ReconException)
        .join(ReconLine, ReconLine.id == ReconException.line_id)
        .join(Entry, Entry.idempotency_key == _write_off_key(ReconException.id))
        .join(Posting, and_(Posting.entry_seq == Entry.seq, Posting.account_id == account))
        .where(ReconLine.import_id.in_(import_ids))
    )
    return int(session.scalar(query) or 0)


def written_off(session: Session, adapter: str) -> tuple[int, int]:
    """(count, settlement postings) of the adapter's approved write-offs."""
    account = settlement_account_id(session, adapter)
    if account is None:
        return 0, 0
    query = (
        select(func.count(), func.coalesce(func.sum(Posting.amount_vnd), 0))
        .select_from(ReconException)
        .join(Entry, Entry.idempotency_key == _write_off_key(ReconException.id))
        .join(Posting, and_(Posting.entry_seq == Entry.seq, Posting.account_id == account))
        .where(ReconException.adapter == adapter)
    )
    count, total = session.execute(query).one()
    return int(count), int(total)


def _write_off_key(exception_id: Any) -> Any:
    """The ledger key of an exception's write-off (`writeoff:exception:<id>`), as SQL."""
    return literal(WRITE_OFF_KEY_PREFIX) + cast(exception_id, String)


def statement_ids(adapter: str) -> Select:
    """The ids of the adapter's statements (imports with balances), as a subquery."""
    return select(ReconImport.id).where(ReconImport.adapter == adapter, ReconImport.opening_vnd.is_not(None))


def statement_imports(session: Session, adapter: str) -> list[ReconImport]:
    query = select(ReconImport).where(ReconImport.adapter == adapter, ReconImport.opening_vnd.is_not(None))
    return list(session.scalars(query.order_by(ReconImport.first_day, ReconImport.id)))


def unsettled_total(session: Session, adapter: str) -> tuple[int, int]:
    """(count, đồng) of the adapter's payouts in flight (sending, accepted, in doubt), and of
    those queued again after a claim (nothing reached the provider; the money they were
    initiated with stays in flight until the resend, under the same initiation entry)."""
    queued_again = and_(Payout.state == PayoutState.QUEUED.value, Payout.send_attempts > 0)
    query = (
        select(func.count(), func.coalesce(func.sum(Payout.amount_vnd), 0))
        .join(Batch, Batch.id == Payout.batch_id)
        .where(Batch.adapter == adapter, or_(Payout.state.in_(list(IN_FLIGHT_STATES)), queued_again))
    )
    count, total = session.execute(query).one()
    return int(count), int(total)


def known_adapters(session: Session) -> list[str]:
    batches = set(session.scalars(select(Batch.adapter).distinct()))
    imports = set(session.scalars(select(ReconImport.adapter).distinct()))
    return sorted(batches | imports)


def three_way(session: Session, adapter: str) -> dict[str, int]:
    """Settled payouts by whether a statement booked them: ledger ↔ confirmation ↔ statement."""
    booked = select(ReconMatch.payout_id).where(ReconMatch.movement.is_(True), ReconMatch.direction == "DBIT")
    base = select(func.count()).join(Batch, Batch.id == Payout.batch_id).where(Batch.adapter == adapter)
    settled = base.where(Payout.state == "settled")
    open_unmatched = select(func.count()).where(
        ReconException.adapter == adapter,
        ReconException.kind == "UNMATCHED_CONFIRMATION",
        ReconException.state != "resolved",
    )
    in_ledger = int(session.scalar(settled.select_from(Payout)) or 0)
    on_statement = int(session.scalar(settled.select_from(Payout).where(Payout.id.in_(booked))) or 0)
    return {
        "settled_in_ledger": in_ledger,
        "settled_and_on_statement": on_statement,
        "settled_not_yet_on_statement": in_ledger - on_statement,
        "on_statement_not_in_ledger": int(session.scalar(open_unmatched) or 0),
    }
