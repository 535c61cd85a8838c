"""The totals reconciliation ties out: the ledger's settlement postings against the statements.

What the matched and written-off movement lines of the adapter's statements explain, its
write-offs, its payouts still in flight, the three-way count of settled payouts (ledger,
confirmation, statement), and the settled payouts no statement line has booked. Queries only,
no rules: `tieouts.py` compares.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from payments.disbursements.model import Batch, Payout
from payments.disbursements.states import IN_FLIGHT_STATES, PayoutState
from payments.exception_queue.raising import BALANCE_BREAK
from payments.ledger import accounts
from payments.ledger.draft import EntryKind
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


UNBOOKED_CHECK = "settled_not_on_statement"  # BALANCE_BREAK data["check"] of a payout no statement shows
UNBOOKED_FINGERPRINT = ("BALANCE_BREAK:payout:", ":not_on_statement")  # around the payout id


def unbooked_fingerprint(payout_id: Any) -> Any:
    """The fingerprint of the BALANCE_BREAK for a settled payout no statement shows; `payout_id`
    is an int or a SQL expression."""
    before, after = UNBOOKED_FINGERPRINT
    if isinstance(payout_id, int):
        return f"{before}{payout_id}{after}"
    return literal(before) + cast(payout_id, String) + literal(after)


def _booked_out(payout_id: Any) -> Any:
    """Some statement or notification line booked the payout's money out (a debit matched to
    it, whatever its outcome: a line booked for another amount is an AMOUNT_MISMATCH of its own)."""
    return exists(
        select(ReconMatch.id).where(
            ReconMatch.payout_id == payout_id, ReconMatch.movement.is_(True), ReconMatch.direction == DEBIT
        )
    )


def unbooked_settled(adapter: str, first: date, last: date) -> Select:
    """The adapter's settled payouts whose settlement entry is dated `first`..`last` and whose
    money no line has booked out: (id, payout key, amount, settled on), by id.

    Read from the adapter's settled payouts, each looked up in the matches (nearly all were
    booked) before its settlement entry's date: a join from the entries would read every
    initiation and settlement entry ever posted."""
    settled_on = (
        select(Entry.effective_date)
        .where(Entry.payout_ref == Payout.payout_key, Entry.kind == EntryKind.PAYOUT_SETTLED.value)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(Payout.id, Payout.payout_key, Payout.amount_vnd, settled_on.label("effective_date"))
        .join(Batch, Batch.id == Payout.batch_id)
        .where(Batch.adapter == adapter, Payout.state == PayoutState.SETTLED.value, ~_booked_out(Payout.id))
        .where(settled_on >= first, settled_on <= last)
        .order_by(Payout.id)
    )


def unbooked_total(session: Session, adapter: str, first: date, last: date) -> tuple[int, int]:
    """(count, đồng) of `unbooked_settled`."""
    found = unbooked_settled(adapter, first, last).order_by(None).subquery()
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(found.c.amount_vnd), 0))).one()
    return int(count), int(total)


def unbooked_not_raised(
    session: Session, adapter: str, first: date, last: date, *, after_id: int, limit: int
) -> list[Any]:
    """`unbooked_settled` rows after payout `after_id` whose BALANCE_BREAK is not raised yet."""
    raised = exists(
        select(ReconException.id).where(ReconException.fingerprint == unbooked_fingerprint(Payout.id))
    )
    query = unbooked_settled(adapter, first, last).where(Payout.id > after_id, ~raised).limit(limit)
    return list(session.execute(query))


def settling_news(session: Session, payout_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """{payout id: (import kind, file name)} of the first status report or callback whose line
    settled each payout; a payout settled by the provider's answer to a send or a status
    query has none."""
    query = (
        select(ReconMatch.payout_id, ReconImport.kind, ReconImport.file_name)
        .select_from(ReconMatch)
        .join(ReconLine, ReconLine.id == ReconMatch.line_id)
        .join(ReconImport, ReconImport.id == ReconLine.import_id)
        .where(ReconMatch.payout_id.in_(payout_ids), ReconMatch.outcome == "settled")
        .order_by(ReconMatch.id.desc())  # the first match wins: written last into the dict
    )
    return {payout_id: (kind, name) for payout_id, kind, name in session.execute(query)}


def open_unbooked_breaks(session: Session, adapter: str) -> list[Any]:
    """Open BALANCE_BREAKs of the adapter's settled payouts that no statement showed, whose
    payout a line has booked since, or that is no longer settled: (exception id, payout id,
    payout key, payout state)."""
    explained = or_(_booked_out(Payout.id), Payout.state != PayoutState.SETTLED.value)
    query = (
        select(ReconException.id, Payout.id, Payout.payout_key, Payout.state)
        .join(Payout, Payout.id == ReconException.payout_id)
        .where(ReconException.adapter == adapter, ReconException.kind == BALANCE_BREAK)
        .where(ReconException.state == "open", ReconException.fingerprint == unbooked_fingerprint(Payout.id))
        .where(explained)
        .order_by(ReconException.id)
    )
    return list(session.execute(query))


def first_booking(session: Session, payout_id: int) -> tuple[str, int | None, date | None] | None:
    """(file name, line number, booking day) of the first line that booked the payout's money out."""
    query = (
        select(ReconImport.file_name, ReconLine.line_no, ReconLine.booking_date)
        .select_from(ReconMatch)
        .join(ReconLine, ReconLine.id == ReconMatch.line_id)
        .join(ReconImport, ReconImport.id == ReconLine.import_id)
        .where(
            ReconMatch.payout_id == payout_id, ReconMatch.movement.is_(True), ReconMatch.direction == DEBIT
        )
        .order_by(ReconMatch.id)
        .limit(1)
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1], row[2])
