"""Reconciliation queries. No rules here; every IN list is bounded by the caller's chunk."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, String, and_, cast, func, literal, or_, select, text
from sqlalchemy.orm import Session

from payments.disbursements.model import Batch, Payout
from payments.disbursements.states import IN_FLIGHT_STATES
from payments.ledger import accounts
from payments.ledger.driver import Driver
from payments.ledger.model import Account, Entry, Posting
from payments.reconcile.lines import CREDIT, DEBIT, Line
from payments.reconcile.model import LIVE, ReconException, ReconImport, ReconLine, ReconMatch, ReconStatement

SUGGESTION_POOL = 50
IN_LIMIT = 5_000  # values in one IN list: well under SQLite's and PostgreSQL's parameter limits
EXPLAINING = ("settled", "confirmed", "returned")  # match outcomes whose payout entry stands for the line
WRITE_OFF_KEY_PREFIX = "writeoff:exception:"


def import_by_sha(session: Session, sha256: str) -> ReconImport | None:
    return session.scalar(select(ReconImport).where(ReconImport.sha256 == sha256))


def import_of_statement(session: Session, identity: str) -> ReconImport | None:
    """The import that holds the statement of this identity, if any."""
    query = select(ReconImport).join(ReconStatement, ReconStatement.import_id == ReconImport.id)
    return session.scalar(query.where(ReconStatement.identity == identity))


def pending_imports(session: Session, adapter: str | None = None) -> list[ReconImport]:
    query = select(ReconImport).where(ReconImport.state == "staged").order_by(ReconImport.id)
    if adapter is not None:
        query = query.where(ReconImport.adapter == adapter)
    return list(session.scalars(query))


def lines_after(session: Session, import_id: int, position: int, limit: int) -> list[tuple[int, Line]]:
    """(line id, Line) of an import after `position`, in file order.

    Read on the driver's cursor (`payments.ledger.driver`): a large import reads back every
    line it staged, and SQLAlchemy's handling of each row (a date parsed by a regular
    expression on SQLite) cost more than the query. Dates are held to the text the writer
    stores, as the ledger's are."""
    driver = Driver(session)
    rows = driver.fetch(_STAGED_LINES.format(m=driver.marker), (import_id, position, limit))
    day, make = driver.read_date, tuple.__new__  # every field is given: the C constructor will do
    return [
        (r[0], make(Line, (r[1], bool(r[2]), r[3], r[4], r[5], None if r[6] is None else day(r[6]), *r[7:])))
        for r in rows
    ]


# Line's fields in its order, so that a row is its constructor's arguments
_LINE_COLUMNS = tuple(
    func.coalesce(ReconLine.reason_text, "") if name == "reason_text" else getattr(ReconLine, name)
    for name in Line._fields
)
_STAGED_LINES = (
    "SELECT id, "
    + ", ".join("coalesce(reason_text, '')" if name == "reason_text" else name for name in Line._fields)
    + " FROM recon_lines WHERE import_id = {m} AND position > {m} ORDER BY position LIMIT {m}"
)


PAYOUT_COLUMNS = (
    Payout.id, Payout.payout_key, Payout.beneficiary_id, Payout.amount_vnd, Payout.state,
    Payout.provider_reference, Payout.beneficiary_name, Payout.reason_code, Payout.reason_text,
    Batch.adapter,
)  # fmt: skip
"""What matching and outcomes read of a payout, with its batch's adapter (the sealed
instrument and its masked copy stay in the database): `processing.HeldPayout`'s fields."""


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


def in_parts(values: list[Any], size: int = IN_LIMIT) -> Iterator[list[Any]]:
    """`values` in slices short enough for one IN list."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def known_fingerprints(session: Session, fingerprints: Iterable[str]) -> set[str]:
    """Which of `fingerprints` are already recorded as exceptions."""
    wanted, found = sorted(set(fingerprints)), set[str]()
    for part in in_parts(wanted):
        query = select(ReconException.fingerprint).where(ReconException.fingerprint.in_(part))
        found.update(session.scalars(query))
    return found


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


def exception_by_fingerprint(session: Session, fingerprint: str) -> ReconException | None:
    return session.scalar(select(ReconException).where(ReconException.fingerprint == fingerprint))


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
    same_sign = or_(
        and_(ReconLine.direction == DEBIT, Posting.amount_vnd < 0),
        and_(ReconLine.direction == CREDIT, Posting.amount_vnd > 0),
    )
    query = (
        select(func.coalesce(func.sum(Posting.amount_vnd), 0))
        .select_from(ReconLine)
        .join(ReconMatch, and_(ReconMatch.line_id == ReconLine.id, ReconMatch.outcome.in_(EXPLAINING)))
        .join(Payout, Payout.id == ReconMatch.payout_id)
        .join(Entry, and_(Entry.payout_ref == Payout.payout_key, Entry.payout_ref.is_not(None)))
        .join(Posting, and_(Posting.entry_seq == Entry.seq, Posting.account_id == account))
        .where(ReconLine.import_id.in_(import_ids), ReconLine.movement.is_(True), same_sign)
    )
    return int(session.scalar(query) or 0)


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
    """(count, đồng) of the adapter's payouts in flight (sending, accepted, in doubt)."""
    query = (
        select(func.count(), func.coalesce(func.sum(Payout.amount_vnd), 0))
        .join(Batch, Batch.id == Payout.batch_id)
        .where(Batch.adapter == adapter, Payout.state.in_(list(IN_FLIGHT_STATES)))
    )
    count, total = session.execute(query).one()
    return int(count), int(total)


def known_adapters(session: Session) -> list[str]:
    batches = set(session.scalars(select(Batch.adapter).distinct()))
    imports = set(session.scalars(select(ReconImport.adapter).distinct()))
    return sorted(batches | imports)


def stale_payouts(session: Session, before: datetime, after_id: int, limit: int) -> list[tuple[Payout, str]]:
    query = (
        select(Payout, Batch.adapter)
        .join(Batch, Batch.id == Payout.batch_id)
        .where(Payout.state.in_(list(IN_FLIGHT_STATES)), Payout.updated_at < before, Payout.id > after_id)
        .order_by(Payout.id)
        .limit(limit)
    )
    return [(p, a) for p, a in session.execute(query)]


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


def line_by_id(session: Session, line_id: int) -> Line:
    return Line(*session.execute(select(*_LINE_COLUMNS).where(ReconLine.id == line_id)).one())


def payout_with_adapter(session: Session, payout_id: int) -> tuple[Payout, str] | None:
    query = (
        select(Payout, Batch.adapter).join(Batch, Batch.id == Payout.batch_id).where(Payout.id == payout_id)
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])
