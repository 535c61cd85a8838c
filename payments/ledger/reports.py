"""Auditor queries: accounts, statements, entries, trial balance, as-of balances, export.

Queries only, each bounded by a page size or read in chunks; amounts are integer VND with
debits positive. Pagination is by key (account code, or sequence number and line), never by
offset, so pages stay cheap deep into a large ledger.
"""

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, and_, case, func, or_, select
from sqlalchemy.orm import Session

from payments.errors import InvalidInput, NotFound
from payments.ledger import repository
from payments.ledger.accounts import AccountType
from payments.ledger.model import Account, Balance, Entry, Posting

EXPORT_CHUNK = 5_000
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def list_accounts(
    session: Session, *, account_type: AccountType | None = None, after_code: str = "", limit: int = 50
) -> list[Row[Any]]:
    """Accounts by code with cached balance: rows of (code, type, owner_ref, balance_vnd, created_at)."""
    query = (
        select(Account.code, Account.type, Account.owner_ref, Balance.balance_vnd, Account.created_at)
        .join(Balance, Balance.account_id == Account.id)
        .where(Account.code > after_code)
    )
    if account_type is not None:
        query = query.where(Account.type == AccountType(account_type).value)
    return list(session.execute(query.order_by(Account.code).limit(limit)))


@dataclass(frozen=True)
class StatementLine:
    seq: int
    line: int
    kind: str
    effective_date: date
    amount_vnd: int
    balance_vnd: int  # running balance after this line
    payout_ref: str | None
    enrolment_ref: str | None
    period: str | None


def statement(
    session: Session, account_code: str, *, after: tuple[int, int] = (0, 0), limit: int = 50
) -> list[StatementLine]:
    """An account's postings in chain order after (seq, line), each with the running balance."""
    account = repository.find_account(session, account_code)
    if account is None:
        raise NotFound(f"no ledger account {account_code!r}", account=account_code)
    seq, line = after
    upto = or_(Posting.entry_seq < seq, and_(Posting.entry_seq == seq, Posting.line <= line))
    opening = session.scalar(
        select(func.coalesce(func.sum(Posting.amount_vnd), 0)).where(Posting.account_id == account.id, upto)
    )
    rows = session.execute(
        select(Posting.entry_seq, Posting.line, Posting.amount_vnd, Entry.kind, Entry.effective_date)
        .add_columns(Entry.payout_ref, Entry.enrolment_ref, Entry.period)
        .join(Entry, Entry.seq == Posting.entry_seq)
        .where(Posting.account_id == account.id)
        .where(or_(Posting.entry_seq > seq, and_(Posting.entry_seq == seq, Posting.line > line)))
        .order_by(Posting.entry_seq, Posting.line)
        .limit(limit)
    )
    running = int(opening or 0)
    lines = []
    for r in rows:
        running += r.amount_vnd
        lines.append(
            StatementLine(r.entry_seq, r.line, r.kind, r.effective_date, r.amount_vnd, running, *r[5:])
        )
    return lines


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a 'YYYY-MM' period. Raises InvalidInput."""
    match = _PERIOD.match(period or "")
    if match is None:
        raise InvalidInput(f"period {period!r} must look like 2025-07", field="period")
    year, month = int(match.group(1)), int(match.group(2))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class TrialBalance:
    period: str
    rows: list[Row[Any]]  # (code, type, opening_vnd, debit_vnd, credit_vnd, closing_vnd)
    total_debit_vnd: int
    total_credit_vnd: int


def trial_balance(
    session: Session,
    period: str,
    *,
    account_type: AccountType | None = None,
    after_code: str = "",
    limit: int = 50,
) -> TrialBalance:
    """Per account: balance before the period, debits and credits effective within it, closing.

    Totals cover every account (not only the page): debits equal credits in a sound ledger.
    """
    first, last = period_bounds(period)
    before = Entry.effective_date < first
    debit = case((and_(~before, Posting.amount_vnd > 0), Posting.amount_vnd), else_=0)
    credit = case((and_(~before, Posting.amount_vnd < 0), -Posting.amount_vnd), else_=0)
    opening = case((before, Posting.amount_vnd), else_=0)
    base = (
        select(Account.code, Account.type)
        .join(Posting, Posting.account_id == Account.id)
        .join(Entry, Entry.seq == Posting.entry_seq)
        .where(Entry.effective_date <= last)
    )
    if account_type is not None:
        base = base.where(Account.type == AccountType(account_type).value)
    page = (
        base.add_columns(func.sum(opening), func.sum(debit), func.sum(credit), func.sum(Posting.amount_vnd))
        .where(Account.code > after_code)
        .group_by(Account.code, Account.type)
        .order_by(Account.code)
        .limit(limit)
    )
    totals = base.with_only_columns(func.coalesce(func.sum(debit), 0), func.coalesce(func.sum(credit), 0))
    total_debit, total_credit = session.execute(totals).one()
    return TrialBalance(period, list(session.execute(page)), int(total_debit), int(total_credit))


def balances_as_of(
    session: Session,
    *,
    as_of_date: date | None = None,
    as_of_seq: int | None = None,
    account_type: AccountType | None = None,
    after_code: str = "",
    limit: int = 50,
) -> list[tuple[str, int]]:
    """(code, balance_vnd) per account, summed from postings up to a date and/or sequence number."""
    query = select(Account.code, func.sum(Posting.amount_vnd)).join(Account, Account.id == Posting.account_id)
    query = repository.restrict_as_of(query, as_of_date, as_of_seq)
    if account_type is not None:
        query = query.where(Account.type == AccountType(account_type).value)
    query = query.where(Account.code > after_code).group_by(Account.code).order_by(Account.code)
    return [(code, int(total)) for code, total in session.execute(query.limit(limit))]


EXPORT_HEADER = (
    "seq",
    "line",
    "effective_date",
    "recorded_at",
    "kind",
    "account",
    "amount_vnd",
    "idempotency_key",
    "payout_ref",
    "enrolment_ref",
    "period",
    "entry_hash",
)


def export_rows(
    session: Session,
    *,
    from_seq: int = 1,
    to_seq: int | None = None,
    account_code: str | None = None,
    chunk: int = EXPORT_CHUNK,
) -> Iterator[tuple[Any, ...]]:
    """Every posting (with its entry's fields, EXPORT_HEADER order) in chain order, read in chunks."""
    query = (
        select(
            Posting.entry_seq, Posting.line, Entry.effective_date, Entry.recorded_at, Entry.kind, Account.code
        )
        .add_columns(Posting.amount_vnd, Entry.idempotency_key, Entry.payout_ref, Entry.enrolment_ref)
        .add_columns(Entry.period, Entry.hash)
        .join(Entry, Entry.seq == Posting.entry_seq)
        .join(Account, Account.id == Posting.account_id)
        .order_by(Posting.entry_seq, Posting.line)
        .limit(chunk)
    )
    if account_code is not None:
        query = query.where(Account.code == account_code)
    if to_seq is not None:
        query = query.where(Posting.entry_seq <= to_seq)
    seq, line = from_seq, 0
    while True:
        after = or_(Posting.entry_seq > seq, and_(Posting.entry_seq == seq, Posting.line > line))
        rows = session.execute(query.where(after)).all()
        yield from (tuple(row) for row in rows)
        if len(rows) < chunk:
            return
        seq, line = rows[-1][0], rows[-1][1]
