"""The exceptions queue's tables (migration 0008 made them beside reconciliation's own).

- `recon_exceptions`: what nobody can explain yet; never deleted. Its state changes, and every
  change is a row in the append-only `recon_exception_events`. `fingerprint` is unique: the same
  problem found twice is one exception. `line_id` and `import_id` name the statement line and
  file an exception came from, when it came from one (not so for a provider's answer).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from payments.db import Base, BigIntPK, UTCDateTime


class ReconException(Base):
    __tablename__ = "recon_exceptions"
    __table_args__ = (Index("ix_recon_exceptions_state_kind", "state", "kind"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))  # open | pending_approval | resolved
    fingerprint: Mapped[str] = mapped_column(String(200), unique=True)
    adapter: Mapped[str] = mapped_column(String(60))
    payout_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("payouts.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("recon_lines.id"))
    import_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("recon_imports.id"))
    amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    assignee: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(30))
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[str | None] = mapped_column(String(64))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReconExceptionEvent(Base):
    """One change to an exception (raised, assigned, proposed, resolved). Append-only."""

    __tablename__ = "recon_exception_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    exception_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("recon_exceptions.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
