"""The payouts reconciliation reads: those a line may be about, and those left in flight.

By payout key, provider reference, id, key prefix or payment block; the payouts in flight that
a line could be suggested for, or that have had no news for too long; and the bank bookings
already matched to them. Queries only, no rules here; every IN list is bounded by the caller's
chunk. A chunk reads thousands of payouts: they are plain rows (`PAYOUT_COLUMNS`), the largest
reads on the driver's cursor.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select, text
from sqlalchemy.orm import Session

from payments.disbursements.model import Batch, Payout
from payments.disbursements.states import IN_FLIGHT_STATES
from payments.driver import Driver
from payments.reconcile.model import LIVE, ReconImport, ReconLine, ReconMatch

SUGGESTION_POOL = 50


PAYOUT_COLUMNS = (
    Payout.id, Payout.payout_key, Payout.beneficiary_id, Payout.amount_vnd, Payout.state,
    Payout.provider_reference, Payout.beneficiary_name, Payout.reason_code, Payout.reason_text,
    Batch.adapter,
)  # fmt: skip
"""What matching and outcomes read of a payout, with its batch's adapter (the sealed
instrument and its masked copy stay in the database): `chunk.HeldPayout`'s fields."""


def payouts_by_key(session: Session, keys: Iterable[str]) -> list[tuple[Any, ...]]:
    """`PAYOUT_COLUMNS` of the payouts of these keys, as plain tuples read on the driver's
    cursor: a chunk names thousands of keys, and SQLAlchemy's expanding of an IN list of them
    (and handling of each row) cost several times the lookup itself."""
    wanted = list(set(keys))
    if not wanted:
        return []
    return Driver(session).fetch_in(_PAYOUTS_BY_KEY, wanted)


def payouts_by_reference(session: Session, references: Iterable[str]) -> list[Row[Any]]:
    wanted = list(set(references))
    if not wanted:
        return []
    return list(session.execute(_payouts().where(Payout.provider_reference.in_(wanted))))


def payouts_by_id(session: Session, payout_ids: Iterable[int]) -> list[Row[Any]]:
    wanted = list(set(payout_ids))
    if not wanted:
        return []
    return list(session.execute(_payouts().where(Payout.id.in_(wanted))))


def payouts_by_prefix(session: Session, prefix: str, amount_vnd: int | None) -> list[Row[Any]]:
    # The range lets the unique index on payout_key find them; LIKE keeps the answer exact.
    query = _payouts().where(
        Payout.payout_key >= prefix,
        Payout.payout_key < prefix + "\U0010ffff",
        Payout.payout_key.like(f"{_escape(prefix)}%", escape="\\"),
    )
    if amount_vnd is not None:
        query = query.where(Payout.amount_vnd == amount_vnd)
    return list(session.execute(query.limit(SUGGESTION_POOL)))


def _payouts() -> Select:
    """`PAYOUT_COLUMNS` as plain rows: a chunk reads thousands of payouts, and ORM objects
    (loading them, tracking their changes, flushing them one by one) cost more than the rest."""
    return select(*PAYOUT_COLUMNS).join(Batch, Batch.id == Payout.batch_id)


_PAYOUTS_BY_KEY = (
    "SELECT " + ", ".join(f"{c.table.name}.{c.name}" for c in PAYOUT_COLUMNS)
    + " FROM payouts JOIN batches ON batches.id = payouts.batch_id WHERE payouts.payout_key {in_}"
)  # fmt: skip


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def block_members(session: Session, payment_info_id: str) -> list[Row[Any]]:
    """Payouts a status report listed under a payment block, or a batch named `B<id>-<period>`."""
    listed = (
        select(ReconMatch.payout_id)
        .join(ReconLine, ReconLine.id == ReconMatch.line_id)
        .where(ReconLine.payment_info_id == payment_info_id, ReconLine.movement.is_(False))
    )
    query = _payouts()
    found = list(session.execute(query.where(Payout.id.in_(listed)).order_by(Payout.id)))
    if found or not payment_info_id.startswith("B"):
        return found
    batch_id = payment_info_id[1:].split("-", 1)[0]
    if not batch_id.isdigit():
        return []
    return list(session.execute(query.where(Payout.batch_id == int(batch_id)).order_by(Payout.id)))


def open_blocks(session: Session, adapter: str, limit: int = 100) -> list[str]:
    """Payment blocks a status report listed whose payouts are still in flight: what a batch
    booking without a usable PmtInfId may be paying (matched by its control sum)."""
    query = (
        select(ReconLine.payment_info_id)
        .join(ReconMatch, ReconMatch.line_id == ReconLine.id)
        .join(Payout, Payout.id == ReconMatch.payout_id)
        .join(ReconImport, ReconImport.id == ReconLine.import_id)
        .where(ReconImport.adapter == adapter, ReconLine.movement.is_(False))
        .where(ReconLine.payment_info_id.is_not(None), Payout.state.in_(list(IN_FLIGHT_STATES)))
        .distinct()
        .limit(limit)
    )
    return [block for block in session.scalars(query) if block]


def suggestion_pool(session: Session, amounts: Iterable[int]) -> list[Row[Any]]:
    """Payouts still in flight whose amount is one of `amounts`, a bounded number of each:
    `PAYOUT_COLUMNS` and when each was last sent (`updated_at`).

    Read through the partial index `ix_payouts_live_amount` (only in-flight payouts are in
    it), so the cost follows what is in flight, not every payout ever made."""
    found: list[Row[Any]] = []
    for amount in sorted(set(amounts)):
        query = (
            _payouts()
            .add_columns(Payout.updated_at)
            .where(Payout.amount_vnd == amount, text(f"payouts.{LIVE}"))
            .order_by(Payout.id)
            .limit(SUGGESTION_POOL)
        )
        found += session.execute(query)
    return found


def booked_movements(
    session: Session, payout_ids: Iterable[int]
) -> dict[tuple[int, str | None], set[str | None]]:
    """{(payout id, direction): the bank's booking references} of movements already matched.
    Read on the driver's cursor, like `payouts_by_key`: a chunk asks about thousands of payouts."""
    wanted = list(set(payout_ids))
    found: dict[tuple[int, str | None], set[str | None]] = {}
    if not wanted:
        return found
    for payout_id, direction, reference in Driver(session).fetch_in(_BOOKED_MOVEMENTS, wanted):
        found.setdefault((payout_id, direction), set()).add(reference)
    return found


_BOOKED_MOVEMENTS = (
    "SELECT m.payout_id, m.direction, l.account_servicer_ref FROM recon_matches m"
    " JOIN recon_lines l ON l.id = m.line_id WHERE m.movement AND m.payout_id {in_}"
)


def stale_payouts(session: Session, before: datetime, after_id: int, limit: int) -> list[tuple[Payout, str]]:
    query = (
        select(Payout, Batch.adapter)
        .join(Batch, Batch.id == Payout.batch_id)
        .where(Payout.state.in_(list(IN_FLIGHT_STATES)), Payout.updated_at < before, Payout.id > after_id)
        .order_by(Payout.id)
        .limit(limit)
    )
    return [(p, a) for p, a in session.execute(query)]


def payout_with_adapter(session: Session, payout_id: int) -> tuple[Payout, str] | None:
    query = (
        select(Payout, Batch.adapter).join(Batch, Batch.id == Payout.batch_id).where(Payout.id == payout_id)
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])
