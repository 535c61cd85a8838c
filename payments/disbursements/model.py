"""Batches, their payouts, holds and approvals.

A payout's instrument snapshot (account or phone in clear) is personal data: it is stored
encrypted (`instrument_sealed`, with the key id) beside a masked copy for display.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payments.db import Base, BigIntPK, UTCDateTime


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_period_state", "period", "state"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    programme: Mapped[str] = mapped_column(String(10))
    adapter: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(20))
    parent_batch_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("batches.id"))
    total_vnd: Mapped[int] = mapped_column(BigInteger)
    payout_count: Mapped[int] = mapped_column(Integer)
    manifest_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatch_holder: Mapped[str | None] = mapped_column(String(120))
    dispatch_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    payouts: Mapped[list["Payout"]] = relationship(back_populates="batch", order_by="Payout.id", lazy="raise")


class Payout(Base):
    __tablename__ = "payouts"
    __table_args__ = (
        Index("ix_payouts_batch_state", "batch_id", "state"),
        Index("ix_payouts_beneficiary", "beneficiary_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("batches.id"))
    payout_key: Mapped[str] = mapped_column(String(35), unique=True)
    beneficiary_id: Mapped[int] = mapped_column(BigInteger)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    attempt: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))  # bank | ewallet
    instrument_id: Mapped[int] = mapped_column(BigInteger)
    instrument_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    instrument_key_id: Mapped[str] = mapped_column(String(40))
    instrument_masked: Mapped[dict[str, Any]] = mapped_column(JSON)
    beneficiary_name: Mapped[str] = mapped_column(String(200))
    commune_code: Mapped[str] = mapped_column(String(10))
    category_code: Mapped[str] = mapped_column(String(60))
    reason_code: Mapped[str | None] = mapped_column(String(10))
    reason_text: Mapped[str | None] = mapped_column(String(300))
    provider_reference: Mapped[str | None] = mapped_column(String(120))
    original_payout_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("payouts.id"))
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    batch: Mapped[Batch] = relationship(back_populates="payouts", lazy="raise")


class BatchHold(Base):
    """A beneficiary owed money but left out of a build, and why: listed, never silently dropped.

    `adapter` is where the payout would have gone, when its channel could be routed.
    """

    __tablename__ = "batch_holds"
    __table_args__ = (Index("ix_batch_holds_period", "period", "programme"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    programme: Mapped[str] = mapped_column(String(10))
    adapter: Mapped[str | None] = mapped_column(String(60))
    beneficiary_id: Mapped[int] = mapped_column(BigInteger)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Approval(Base):
    """An approver's decision, bound to the manifest hash they saw. Append-only."""

    __tablename__ = "batch_approvals"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("batches.id"), index=True)
    approver: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(10))  # approved | rejected
    comment: Mapped[str] = mapped_column(Text)
    manifest_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ManualHold(Base):
    """An officer's hold on a beneficiary's payouts until released."""

    __tablename__ = "manual_holds"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(BigInteger, index=True)
    reason: Mapped[str] = mapped_column(String(300))
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
