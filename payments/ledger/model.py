"""Ledger tables: accounts, cached balances, entries, postings and signed checkpoints.

How the database itself keeps the books honest, on SQLite and PostgreSQL alike
(migration 0002 installs the triggers):

- **The entry row is the seal.** A writer inserts an entry's postings first, then the entry
  row. Inserting the entry is refused unless its postings already present number two or
  more and sum to zero; inserting a posting is refused once its entry row exists (sealed).
  The postings' foreign key to their entry is DEFERRABLE INITIALLY DEFERRED, so postings whose
  entry never arrives are refused at COMMIT. Hence every committed entry balances, has at
  least two postings, and can never gain another. (SQLite checks with row triggers, PostgreSQL
  with statement triggers over transition tables, bounded to the sequence numbers inserted:
  the same rule, cheaper for bulk inserts.)
- **A posting names an existing account.** The posting insert trigger checks it (migration
  0010) instead of a foreign key, which PostgreSQL checked with a query and a row lock per
  posting; accounts are append-only, so the account cannot go away afterwards.
- **Append-only.** UPDATE and DELETE (and TRUNCATE on PostgreSQL) are refused on accounts,
  entries, postings and checkpoints (`payments.guards`). Corrections are reversal entries;
  `reverses_seq` is unique, so an entry is reversed at most once.
- `ledger_balances` is a cache, updated in the posting transaction and recomputed by verify;
  it is the one ledger table that changes.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payments.db import Base, BigIntPK, UTCDateTime
from payments.ledger.accounts import AccountType
from payments.ledger.draft import EntryKind

# Written as OR chains, not IN lists: SQLite builds an ephemeral index for an IN list of more
# than two values on every execution, which costs bulk inserts about 2 µs a row.
_KINDS = " OR ".join(f"kind = '{kind.value}'" for kind in EntryKind)
_TYPES = " OR ".join(f"type = '{kind.value}'" for kind in AccountType)


def _where(column: str) -> dict[str, Any]:
    condition = text(f"{column} IS NOT NULL")
    return {"sqlite_where": condition, "postgresql_where": condition}


class Account(Base):
    """`<type>:<owner>`, created by the first entry that posts to it."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (CheckConstraint(_TYPES, name="known_type"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    owner_ref: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Balance(Base):
    """Cached balance of one account: the sum of its postings up to `last_seq`."""

    __tablename__ = "ledger_balances"

    account_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("ledger_accounts.id"), primary_key=True)
    balance_vnd: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)


class Entry(Base):
    """One sealed, hash-chained entry. `seq` is gapless, assigned under the ledger writer lock."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(_KINDS, name="known_kind"),
        CheckConstraint("period IS NULL OR period LIKE '____-__'", name="period_is_a_month"),
        CheckConstraint("seq > 0", name="seq_positive"),
        # Partial indexes: most entries carry no reversal or payout link, and an index row that
        # is never written costs nothing (it also keeps SQLite's per-row trigger cheap).
        Index("uq_ledger_entries_reverses_seq", "reverses_seq", unique=True, **_where("reverses_seq")),
        Index("ix_ledger_entries_payout_ref", "payout_ref", **_where("payout_ref")),
        Index("ix_ledger_entries_enrolment_ref", "enrolment_ref", "period", **_where("enrolment_ref")),
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    effective_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    reverses_seq: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("ledger_entries.seq"))
    payout_ref: Mapped[str | None] = mapped_column(String(80))
    enrolment_ref: Mapped[str | None] = mapped_column(String(80))
    period: Mapped[str | None] = mapped_column(String(7))
    memo: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    postings: Mapped[list["Posting"]] = relationship(order_by="Posting.line", lazy="select", viewonly=True)


class Posting(Base):
    """One line of an entry: signed integer VND against one account (debit +, credit -)."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount_vnd <> 0", name="amount_not_zero"),
        Index("ix_ledger_postings_account_seq", "account_id", "entry_seq", "amount_vnd"),
        {"sqlite_with_rowid": False},
    )

    entry_seq: Mapped[int] = mapped_column(
        BigIntPK,
        ForeignKey("ledger_entries.seq", deferrable=True, initially="DEFERRED"),
        primary_key=True,
    )
    line: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    # No foreign key: the insert trigger refuses an unknown account (see the module docstring).
    account_id: Mapped[int] = mapped_column(BigIntPK)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)

    account: Mapped[Account] = relationship(
        primaryjoin="foreign(Posting.account_id) == Account.id", lazy="joined", viewonly=True
    )

    @property
    def account_code(self) -> str:
        return self.account.code


class Checkpoint(Base):
    """A signed statement that the chain had `size` entries ending in `head_hash`.

    `note` is the whole C2SP signed note (body and signature lines), kept verbatim so that
    anyone holding the public key can check it without this code.
    """

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    origin: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    key_name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))


LEDGER_TABLES = tuple(model.__tablename__ for model in (Account, Balance, Entry, Posting))
