"""What the ledger already holds for entitlements, and what changed since the last run.

Queries only. Accrual entries are keyed `accrual:<period>:<enrolment>:<component>` and
adjustments `adjust:<period>:<enrolment>:<component>:<n>`; the expense posting of each gives
the amount owed by that entry (negative for a recovery). A correction in the ledger is a
`reversal` entry (ledger.services.reverse_entry): it keeps the enrolment and period of the
entry it reverses and negates its postings, so it counts towards the same component.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from payments.audit.model import AuditEvent
from payments.entitlements.model import Rate
from payments.entitlements.period import Period
from payments.ledger import accounts
from payments.ledger.draft import EntryKind
from payments.ledger.model import Account, Balance, Entry, Posting
from payments.registry.model import BeneficiaryVersion, Enrolment, EnrolmentVersion

ACCRUAL_KINDS = ("accrual", "arrears", "recovery")
_READ_KINDS = (*ACCRUAL_KINDS, EntryKind.REVERSAL.value)
RUN_ACTION = "accrual.run"


@dataclass
class Accrued:
    """For one (enrolment, period, component): the total owed so far and how it got there."""

    amount_vnd: int = 0
    has_accrual: bool = False
    adjustments: int = 0


@dataclass
class Changes:
    """What was recorded since the previous run: whose months to recompute, and from when."""

    rate_periods: set[Period] = field(default_factory=set)  # every person, these months
    people_from: dict[int, Period] = field(default_factory=dict)  # one person, from this month


def accrued_for(
    session: Session, enrolment_ids: Iterable[int], periods: Iterable[Period]
) -> dict[tuple[int, str, str], Accrued]:
    """{(enrolment id, period, component): Accrued} for these enrolments and months."""
    refs = [str(e) for e in enrolment_ids]
    months = [str(p) for p in periods]
    found: dict[tuple[int, str, str], Accrued] = defaultdict(Accrued)
    if not refs or not months:
        return found
    # The expense leg is picked out here, not in SQL: given `type = 'expense'`, PostgreSQL
    # started from the one expense account and read every posting ever made to it (a chunk of
    # an accrual took 1.6 s with 440,000 entries in the ledger, and more with every chunk).
    query = (
        select(
            Entry.seq, Entry.reverses_seq, Entry.enrolment_ref, Entry.period, Entry.kind,
            Entry.idempotency_key, Posting.amount_vnd, Account.type,
        )
        .join(Posting, Posting.entry_seq == Entry.seq)
        .join(Account, Account.id == Posting.account_id)
        .where(Entry.enrolment_ref.in_(refs), Entry.period.in_(months), Entry.kind.in_(_READ_KINDS))
    )  # fmt: skip
    rows = [row for row in session.execute(query) if row.type == accounts.AccountType.EXPENSE.value]
    # A reversal keeps the enrolment and period of what it reverses, so the whole chain (an
    # entry, its reversal, a reversal of that) is among these rows.
    by_seq = {row.seq: row for row in rows}
    for row in rows:
        original = _reversed_root(row, by_seq)
        if original is None or row.enrolment_ref is None or row.period is None:
            continue  # a reversal of something else (the IN filters keep out a missing reference)
        kind, _period, _enrolment, component, *_n = original.idempotency_key.split(":")
        item = found[(int(row.enrolment_ref), row.period, component)]
        item.amount_vnd += row.amount_vnd
        if row is original:  # a reversal is not an adjustment: the next `adjust:…:<n>` is still free
            item.has_accrual |= kind == "accrual"
            item.adjustments += kind == "adjust"
    return found


def _reversed_root(row: Any, by_seq: dict[int, Any]) -> Any | None:
    """The accrual, arrears or recovery entry that `row` is or (through reversals) undoes."""
    while row is not None and row.kind == EntryKind.REVERSAL.value:
        row = by_seq.get(row.reverses_seq)
    return row


def accrued_periods(session: Session, before: Period) -> list[Period]:
    """Months that already have accrual entries, earlier than `before`."""
    query = select(Entry.period).where(Entry.kind == "accrual", Entry.period < str(before)).distinct()
    return sorted(Period.parse(p) for p in session.scalars(query) if p)


def previous_run_started(session: Session) -> datetime | None:
    """When the last completed accrual run started (recorded in the audit log)."""
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == RUN_ACTION).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    if event is None:
        return None
    return datetime.fromisoformat(event.summary["after"]["started_at"])


def changes_since(session: Session, since: datetime, accrued: list[Period]) -> Changes:
    """Rate rows, enrolment versions and person versions recorded after `since`."""
    changes = Changes()
    rates = session.scalars(select(Rate).where(or_(Rate.created_at > since, Rate.superseded_at > since)))
    for rate in rates:
        changes.rate_periods |= {
            p
            for p in accrued
            if p.last_day >= rate.valid_from and (rate.valid_to is None or p.first_day <= rate.valid_to)
        }
    enrolment_changes = session.execute(
        select(Enrolment.beneficiary_id, EnrolmentVersion.effective_date)
        .join(EnrolmentVersion, EnrolmentVersion.enrolment_id == Enrolment.id)
        .where(EnrolmentVersion.recorded_at > since)
    )
    # A death recorded late reaches back to the month of death, not to the day it was recorded.
    person_changes = session.execute(
        select(
            BeneficiaryVersion.beneficiary_id,
            func.coalesce(BeneficiaryVersion.death_date, BeneficiaryVersion.effective_date),
        ).where(BeneficiaryVersion.recorded_at > since)
    )
    for beneficiary_id, effective in [*enrolment_changes, *person_changes]:
        start = Period.of(effective)
        changes.people_from[beneficiary_id] = min(start, changes.people_from.get(beneficiary_id, start))
    return changes


def programmes_of(session: Session, enrolment_ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(Enrolment.id, Enrolment.programme_code).where(Enrolment.id.in_(enrolment_ids))
    )
    return {enrolment_id: programme for enrolment_id, programme in rows}  # noqa: C416 - rows are Row objects


@dataclass
class Owing:
    """Who owes us money (a positive receivable), kept current through a run: read whole once
    (few people owe), then only the entries posted since are looked at, whoever posted them."""

    people: set[int]
    through_seq: int  # the last entry taken into account

    @classmethod
    def now(cls, session: Session) -> "Owing":
        through_seq = _last_seq(session)  # first: an entry posted meanwhile is caught up later
        query = (
            select(Account.owner_ref)
            .join(Balance, Balance.account_id == Account.id)
            .where(Account.type == accounts.AccountType.RECEIVABLE.value, Balance.balance_vnd > 0)
        )
        return cls({int(owner) for owner in session.scalars(query)}, through_seq)

    def catch_up(self, session: Session) -> None:
        """Add everyone whose receivable moved since: they may owe us now (or owe less)."""
        last = _last_seq(session)
        if last == self.through_seq:
            return
        query = (
            select(Account.owner_ref)
            .join(Posting, Posting.account_id == Account.id)
            .where(
                Posting.entry_seq > self.through_seq,
                Posting.entry_seq <= last,
                Account.type == accounts.AccountType.RECEIVABLE.value,
            )
            .distinct()
        )
        self.people |= {int(owner) for owner in session.scalars(query)}
        self.through_seq = last


def _last_seq(session: Session) -> int:
    return session.scalar(select(func.max(Entry.seq))) or 0


def receivables_owed(session: Session, beneficiary_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """{beneficiary id: (receivable balance, seq of the last entry that moved it)} for those of
    `beneficiary_ids` who owe us money (a positive receivable); most people owe nothing and are
    left out, so one query answers for a whole chunk."""
    codes = {accounts.receivable(b): b for b in beneficiary_ids}
    if not codes:
        return {}
    query = (
        select(Account.code, Balance.balance_vnd, Balance.last_seq)
        .join(Balance, Balance.account_id == Account.id)
        .where(Account.code.in_(list(codes)), Balance.balance_vnd > 0)
    )
    found = {codes[code]: (amount, seq) for code, amount, seq in session.execute(query)}
    return dict(sorted(found.items()))
