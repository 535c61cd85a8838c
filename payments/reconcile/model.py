"""Reconciliation tables: imported files and their lines, matches, exceptions, runs.

- `recon_imports`: one row per file (or fetched statement, or callback) with its SHA-256,
  unique, so the same file twice is refused. `processed_through` is the position of the last
  line whose outcome is committed: a run that crashed resumes after it.
- `recon_statements`: the statements a file holds, by their own identity (account, statement
  id, sequence or days), unique: the same statement sent again as other bytes is refused too.
- `recon_lines`: what a file said, one row per confirmation, written in the import's single
  transaction (a malformed file writes nothing). Append-only.
- `recon_matches`: which payout a line confirmed, by which pass, with what outcome. Append-only.
- `recon_exceptions` and `recon_exception_events`: the exceptions queue, defined in
  `payments.exception_queue.model` (the dispatcher raises exceptions too, and cannot import
  reconciliation) and named here as well, where reconciliation's code has always found them.
- `recon_runs`: each run with its report (JSON), dry runs included.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from payments.db import Base, BigIntPK, UTCDateTime
from payments.disbursements.model import Payout
from payments.exception_queue.model import ReconException, ReconExceptionEvent  # noqa: F401 - named here too

# Pass-4 suggestions look for in-flight payouts of an amount. Allowances are few distinct
# amounts, so an index on the amount alone would hold every payout ever made under a handful
# of keys; this one holds only those still in flight. It is reconciliation's, on their table.
LIVE = "state IN ('sending', 'accepted', 'in_doubt')"  # literal: SQLite proves it from the query's
Index("ix_payouts_live_amount", Payout.amount_vnd, sqlite_where=text(LIVE), postgresql_where=text(LIVE))
# Pass 2 looks payouts up by the provider's transaction id. Without this index each chunk of a
# statement read the whole payouts table for the few lines its keys did not match.
Index("ix_payouts_provider_reference", Payout.provider_reference)


class ReconImport(Base):
    __tablename__ = "recon_imports"
    __table_args__ = (Index("ix_recon_imports_adapter_state", "adapter", "state"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    adapter: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))  # camt.053 camt.054 pain.002 mt940 csv statement callback
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    line_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))  # staged | done
    processed_through: Mapped[int] = mapped_column(Integer)
    account: Mapped[str | None] = mapped_column(String(60))
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    opening_vnd: Mapped[int | None] = mapped_column(BigInteger)
    closing_vnd: Mapped[int | None] = mapped_column(BigInteger)
    booked_vnd: Mapped[int] = mapped_column(BigInteger)  # signed sum of booked movements
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReconStatement(Base):
    """A statement an import holds, by the identity the bank gives it (`StatementRef.identity`)."""

    __tablename__ = "recon_statements"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    import_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("recon_imports.id"), index=True)
    identity: Mapped[str] = mapped_column(String(300), unique=True)


class ReconLine(Base):
    __tablename__ = "recon_lines"
    __table_args__ = (
        Index("ix_recon_lines_import_position", "import_id", "position", unique=True),
        Index("ix_recon_lines_payment_info_id", "payment_info_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    import_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("recon_imports.id"))
    position: Mapped[int] = mapped_column(Integer)
    line_no: Mapped[int | None] = mapped_column(Integer)
    movement: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(10))
    amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    direction: Mapped[str | None] = mapped_column(String(4))
    booking_date: Mapped[date | None] = mapped_column(Date)
    end_to_end_id: Mapped[str | None] = mapped_column(String(140))
    instr_id: Mapped[str | None] = mapped_column(String(140))
    provider_tx_id: Mapped[str | None] = mapped_column(String(140))
    account_servicer_ref: Mapped[str | None] = mapped_column(String(140))
    payment_info_id: Mapped[str | None] = mapped_column(String(140))
    reference: Mapped[str | None] = mapped_column(String(140))
    reason: Mapped[str | None] = mapped_column(String(10))
    reason_text: Mapped[str | None] = mapped_column(String(300))
    holder_name: Mapped[str | None] = mapped_column(String(200))
    batch_count: Mapped[int | None] = mapped_column(Integer)


class ReconMatch(Base):
    __tablename__ = "recon_matches"
    __table_args__ = (
        Index("ix_recon_matches_line_payout", "line_id", "payout_id", unique=True),
        Index("ix_recon_matches_payout", "payout_id", "movement"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    line_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("recon_lines.id"))
    payout_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payouts.id"))
    match_pass: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    movement: Mapped[bool] = mapped_column(Boolean)
    direction: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


WRITE_OFF_KEY_PREFIX = "writeoff:exception:"  # + exception id: the ledger key of its write-off


class ReconRun(Base):
    __tablename__ = "recon_runs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # import | run | callback
    dry_run: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(20))  # running | finished | failed
    adapter: Mapped[str | None] = mapped_column(String(60))
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
