"""Ledger lookups used by the writer, the services and other features. Queries only."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from payments.chain import GENESIS_HASH
from payments.ledger.model import Account, Balance, Checkpoint, Entry, Posting

AnySelect = TypeVar("AnySelect", bound=Select)  # any select over postings
IN_LIST_SIZE = 5_000  # bound every IN (...) list well below SQLite's parameter limit


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the last entry, or (0, GENESIS_HASH) for an empty ledger."""
    row = session.execute(select(Entry.seq, Entry.hash).order_by(Entry.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)


def get_entry(session: Session, seq: int) -> Entry | None:
    return session.get(Entry, seq)


def entry_by_key(session: Session, idempotency_key: str) -> Entry | None:
    return session.scalar(select(Entry).where(Entry.idempotency_key == idempotency_key))


def reversal_of(session: Session, seq: int) -> Entry | None:
    """The entry that reverses entry `seq`, if any (there is at most one)."""
    return session.scalar(select(Entry).where(Entry.reverses_seq == seq))


def entries_for_payout(session: Session, payout_ref: str) -> list[Entry]:
    """Every entry linked to a payout, in chain order (initiated, settled or returned, reversals)."""
    return list(session.scalars(select(Entry).where(Entry.payout_ref == payout_ref).order_by(Entry.seq)))


def entries_for_enrolment(session: Session, enrolment_ref: str, period: str | None = None) -> list[Entry]:
    """Entries linked to an enrolment, optionally for one 'YYYY-MM' period, in chain order."""
    query = select(Entry).where(Entry.enrolment_ref == enrolment_ref)
    if period is not None:
        query = query.where(Entry.period == period)
    return list(session.scalars(query.order_by(Entry.seq)))


def find_account(session: Session, code: str) -> Account | None:
    return session.scalar(select(Account).where(Account.code == code))


def cached_balances(session: Session, codes: Iterable[str]) -> dict[str, int]:
    """{code: cached balance} for the accounts that exist among `codes`."""
    found: dict[str, int] = {}
    for batch in _batches(sorted(set(codes))):
        query = select(Account.code, Balance.balance_vnd).join(Balance).where(Account.code.in_(batch))
        found.update(session.execute(query).all())
    return found


def summed_balance(
    session: Session, account_id: int, as_of_date: date | None = None, as_of_seq: int | None = None
) -> int:
    """Sum of the account's postings in entries up to a sequence number and/or effective date."""
    query = select(func.coalesce(func.sum(Posting.amount_vnd), 0)).where(Posting.account_id == account_id)
    query = restrict_as_of(query, as_of_date, as_of_seq)
    return int(session.scalar(query) or 0)


def restrict_as_of(query: AnySelect, as_of_date: date | None, as_of_seq: int | None) -> AnySelect:
    """Limit a query over postings to entries up to `as_of_seq` and effective on or before `as_of_date`."""
    if as_of_seq is not None:
        query = query.where(Posting.entry_seq <= as_of_seq)
    if as_of_date is not None:
        query = query.join(Entry, Entry.seq == Posting.entry_seq).where(Entry.effective_date <= as_of_date)
    return query


def checkpoints(session: Session, *, after_id: int = 0, limit: int | None = None) -> list[Checkpoint]:
    query = select(Checkpoint).where(Checkpoint.id > after_id).order_by(Checkpoint.id)
    return list(session.scalars(query if limit is None else query.limit(limit)))


def latest_checkpoint(session: Session) -> Checkpoint | None:
    return session.scalar(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1))


def hash_at(session: Session, seq: int) -> str | None:
    return session.scalar(select(Entry.hash).where(Entry.seq == seq))


def first_cached_balance_mismatch(session: Session) -> tuple[str, int | None, int] | None:
    """(code, cached, summed) of the first account whose cached balance differs from its postings."""
    sums = (
        select(Posting.account_id, func.sum(Posting.amount_vnd).label("total"))
        .group_by(Posting.account_id)
        .subquery()
    )
    summed = func.coalesce(sums.c.total, 0)
    query = (
        select(Account.code, Balance.balance_vnd, summed)
        .outerjoin(Balance, Balance.account_id == Account.id)
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(or_(Balance.balance_vnd.is_(None), Balance.balance_vnd != summed))
        .order_by(Account.code)
        .limit(1)
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1], int(row[2]))


def first_posting_outside(session: Session, size: int) -> int | None:
    """The lowest entry number a posting names outside the chain's 1..size (a posting no entry
    seals, which the walk along the chain never reads), if any."""
    query = select(func.min(Posting.entry_seq)).where(or_(Posting.entry_seq < 1, Posting.entry_seq > size))
    return session.scalar(query)


ACCOUNT_PAGE = 10_000


def account_identities(session: Session) -> Iterator[tuple[str, str, str]]:
    """(code, type, owner_ref) of every account, in code order, a page at a time."""
    after = ""
    while True:
        page = session.execute(
            select(Account.code, Account.type, Account.owner_ref)
            .where(Account.code > after)
            .order_by(Account.code)
            .limit(ACCOUNT_PAGE)
        ).all()
        yield from ((code, kind, owner) for code, kind, owner in page)
        if len(page) < ACCOUNT_PAGE:
            return
        after = page[-1][0]


def _batches(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), IN_LIST_SIZE):
        yield items[start : start + IN_LIST_SIZE]
