"""The payouts reconciliation reads: those a line may be about, and those left in flight.

By payout key, provider reference, id, key prefix or payment block; the payouts in flight that
a line could be suggested for, or that have had no news for too long; and the bank bookings
already matched to them. Every look-up a line may move a payout through is limited to the
payouts sent through the adapter the line came from (`Batch.adapter`): news from one provider
never moves a payout another one carries. Queries only, no rules here; every IN list is
bounded by the caller's chunk. A chunk reads thousands of payouts: they are plain rows
(`PAYOUT_COLUMNS`), the largest reads on the driver's cursor.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select, text
from sqlalchemy.orm import Session

from payments.disbursements.model import Batch, Payout
from payments.disbursements.states import IN_FLIGHT_STATES
from payments.driver import IN_LIST_SIZE, Driver
from payments.reconcile.model import LIVE, ReconImport, ReconLine, ReconMatch

SUGGESTION_POOL = 50
MESSAGE_ID_MIN = 8  # the iso20022 adapter's message ids are longer (`pain001.message_id_for`)


PAYOUT_COLUMNS = (
    Payout.id, Payout.payout_key, Payout.beneficiary_id, Payout.amount_vnd, Payout.state,
    Payout.provider_reference, Payout.beneficiary_name, Payout.reason_code, Payout.reason_text,
    Batch.adapter,
)  # fmt: skip
"""What matching and outcomes read of a payout, with its batch's adapter (the sealed
instrument and its masked copy stay in the database): `chunk.HeldPayout`'s fields."""


def payouts_by_key(session: Session, keys: Iterable[str], *, adapter: str) -> list[tuple[Any, ...]]:
    """`PAYOUT_COLUMNS` of the `adapter`'s payouts of these keys, as plain tuples read on the
    driver's cursor: a chunk names thousands of keys, and SQLAlchemy's expanding of an IN list
    of them (and handling of each row) cost several times the lookup itself."""
    wanted = list(set(keys))
    if not wanted:
        return []
    driver, found = Driver(session), []
    for start in range(0, len(wanted), IN_LIST_SIZE):
        clause, params = driver.one_of(wanted[start : start + IN_LIST_SIZE])
        found += driver.fetch(_PAYOUTS_BY_KEY.format(in_=clause, m=driver.marker), (*params, adapter))
    return found


def payouts_by_reference(session: Session, references: Iterable[str], *, adapter: str) -> list[Row[Any]]:
    wanted = list(set(references))
    if not wanted:
        return []
    return list(session.execute(_payouts(adapter).where(Payout.provider_reference.in_(wanted))))


def payouts_by_id(session: Session, payout_ids: Iterable[int], *, adapter: str) -> list[Row[Any]]:
    wanted = list(set(payout_ids))
    if not wanted:
        return []
    return list(session.execute(_payouts(adapter).where(Payout.id.in_(wanted))))


def payouts_by_prefix(
    session: Session, prefix: str, amount_vnd: int | None, *, adapter: str
) -> list[Row[Any]]:
    query = _payouts(adapter).where(*_starts_with(Payout.payout_key, prefix))
    if amount_vnd is not None:
        query = query.where(Payout.amount_vnd == amount_vnd)
    return list(session.execute(query.limit(SUGGESTION_POOL)))


def other_adapters_payouts(
    session: Session, adapter: str, keys: Iterable[str], references: Iterable[str]
) -> list[tuple[str, str | None, str]]:
    """(payout key, provider reference, adapter) of payouts *not* sent through `adapter` whose
    key or provider reference is among these: what lines of `adapter` name that it did not
    send. Asked only for the lines nothing matched."""
    found: list[tuple[str, str | None, str]] = []
    for column, values in ((Payout.payout_key, keys), (Payout.provider_reference, references)):
        wanted = sorted(set(values))
        for start in range(0, len(wanted), IN_LIST_SIZE):
            query = (
                select(Payout.payout_key, Payout.provider_reference, Batch.adapter)
                .join(Batch, Batch.id == Payout.batch_id)
                .where(column.in_(wanted[start : start + IN_LIST_SIZE]), Batch.adapter != adapter)
            )
            found += [(key, reference, other) for key, reference, other in session.execute(query)]
    return found


def _payouts(adapter: str) -> Select:
    """The `adapter`'s payouts, `PAYOUT_COLUMNS` as plain rows: a chunk reads thousands of
    payouts, and ORM objects (loading them, tracking their changes, flushing them one by one)
    cost more than the rest."""
    return select(*PAYOUT_COLUMNS).join(Batch, Batch.id == Payout.batch_id).where(Batch.adapter == adapter)


def _starts_with(column: Any, prefix: str) -> tuple[Any, ...]:
    # The range lets the column's index find them; LIKE keeps the answer exact.
    return (
        column >= prefix,
        column < prefix + "\U0010ffff",
        column.like(f"{_escape(prefix)}%", escape="\\"),
    )


_PAYOUTS_BY_KEY = (
    "SELECT " + ", ".join(f"{c.table.name}.{c.name}" for c in PAYOUT_COLUMNS)
    + " FROM payouts JOIN batches ON batches.id = payouts.batch_id"
    + " WHERE payouts.payout_key {in_} AND batches.adapter = {m}"
)  # fmt: skip


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def block_members(session: Session, adapter: str, block: str) -> list[Row[Any]]:
    """The `adapter`'s payouts known to have been sent under payment block or message `block`
    (a PmtInfId or MsgId), in id order; [] when nobody can know them from what was recorded.

    First those whose provider reference is an instruction id the iso20022 adapter gave them
    in that message when it sent them (`<MsgId[:28]>/<n>`: see `Iso20022Adapter._write`; its
    PmtInfId is its MsgId); else those a status report of the adapter listed under the block.
    Never every payout of a batch: dispatch sends a batch as many messages."""
    query = _payouts(adapter).order_by(Payout.id)
    if len(block) >= MESSAGE_ID_MIN:
        sent = list(session.execute(query.where(*_starts_with(Payout.provider_reference, f"{block[:28]}/"))))
        if sent:
            return sent
    listed = (
        select(ReconMatch.payout_id)
        .join(ReconLine, ReconLine.id == ReconMatch.line_id)
        .join(ReconImport, ReconImport.id == ReconLine.import_id)
        .where(ReconLine.payment_info_id == block, ReconLine.movement.is_(False))
        .where(ReconImport.adapter == adapter)
    )
    return list(session.execute(query.where(Payout.id.in_(listed))))


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


def suggestion_pool(session: Session, amounts: Iterable[int], *, adapter: str) -> list[Row[Any]]:
    """The `adapter`'s payouts still in flight whose amount is one of `amounts`, a bounded number of each:
    `PAYOUT_COLUMNS` and when each was last sent (`updated_at`).

    Read through the partial index `ix_payouts_live_amount` (only in-flight payouts are in
    it), so the cost follows what is in flight, not every payout ever made."""
    found: list[Row[Any]] = []
    for amount in sorted(set(amounts)):
        query = (
            _payouts(adapter)
            .add_columns(Payout.updated_at)
            .where(Payout.amount_vnd == amount, text(f"payouts.{LIVE}"))
            .order_by(Payout.id)
            .limit(SUGGESTION_POOL)
        )
        found += session.execute(query)
    return found


def booked_movements(
    session: Session, payout_ids: Iterable[int]
) -> dict[tuple[int, str | None], set[tuple[int | None, str | None]]]:
    """{(payout id, direction): {(import id, the bank's booking reference)}} of movements
    already matched. Read on the driver's cursor, like `payouts_by_key`: a chunk asks about
    thousands of payouts."""
    wanted = list(set(payout_ids))
    found: dict[tuple[int, str | None], set[tuple[int | None, str | None]]] = {}
    if not wanted:
        return found
    for payout_id, direction, import_id, reference in Driver(session).fetch_in(_BOOKED_MOVEMENTS, wanted):
        found.setdefault((payout_id, direction), set()).add((import_id, reference))
    return found


_BOOKED_MOVEMENTS = (
    "SELECT m.payout_id, m.direction, l.import_id, l.account_servicer_ref FROM recon_matches m"
    " JOIN recon_lines l ON l.id = m.line_id WHERE m.movement AND m.payout_id {in_}"
)


def has_booked_movement(session: Session, payout_id: int, direction: str | None, *, but: int) -> bool:
    """Whether a statement line other than `but` already booked money for the payout in `direction`."""
    query = select(ReconMatch.id).where(
        ReconMatch.payout_id == payout_id,
        ReconMatch.movement.is_(True),
        ReconMatch.direction == direction,
        ReconMatch.line_id != but,
    )
    return session.scalar(query.limit(1)) is not None


def same_booking_matched(session: Session, payout_id: int, line: Any, *, line_id: int) -> int | None:
    """The line of another import through which this same booking (the bank's reference; a
    camt.054 notification, then the day's camt.053) was already matched to the payout, if any;
    `line` is line `line_id` as read."""
    if not line.account_servicer_ref:
        return None
    import_id = select(ReconLine.import_id).where(ReconLine.id == line_id).scalar_subquery()
    query = (
        select(ReconLine.id)
        .join(ReconMatch, ReconMatch.line_id == ReconLine.id)
        .where(
            ReconMatch.payout_id == payout_id,
            ReconMatch.movement.is_(True),
            ReconMatch.direction == line.direction,
            ReconLine.account_servicer_ref == line.account_servicer_ref,
            ReconLine.import_id != import_id,
        )
    )
    return session.scalar(query.limit(1))


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
