"""The effective-dated rate table.

One row is one figure for one code and scope (national, or a 2-digit province code) over a
validity period whose both ends are inclusive days (`valid_to` NULL: open-ended). Exactly one
value column is set, the one for the unit: `amount_vnd` (đồng), `coefficient_milli` (a
coefficient in exact thousandths: 1500 = 1.5) or `years`. Rows are never deleted: closing sets
`valid_to`, a correction supersedes a row with a new one, so every explanation that names a
row id can still be read.
"""

from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from payments.db import Base, BigIntPK, UTCDateTime
from payments.entitlements.codes import Unit
from payments.entitlements.rateset import MILLI, RateRow

VALUE_MATCHES_UNIT = (
    "(unit = 'vnd' AND amount_vnd IS NOT NULL AND amount_vnd >= 0"
    " AND coefficient_milli IS NULL AND years IS NULL)"
    " OR (unit = 'coefficient' AND coefficient_milli IS NOT NULL AND coefficient_milli >= 0"
    " AND amount_vnd IS NULL AND years IS NULL)"
    " OR (unit = 'years' AND years IS NOT NULL AND years >= 0"
    " AND amount_vnd IS NULL AND coefficient_milli IS NULL)"
)


class Rate(Base):
    __tablename__ = "rates"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_dates"),
        CheckConstraint("unit IN ('vnd', 'coefficient', 'years')", name="known_unit"),
        CheckConstraint(VALUE_MATCHES_UNIT, name="value_matches_unit"),
        CheckConstraint("scope = 'national' OR length(scope) = 2", name="scope_shape"),
        Index("ix_rates_code_scope_valid_from", "code", "scope", "valid_from"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(10))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(12))
    amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    coefficient_milli: Mapped[int | None] = mapped_column(Integer)
    years: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(500))
    unverified: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("rates.id"))

    @property
    def value(self) -> int | Fraction:
        if self.unit == Unit.COEFFICIENT:
            return Fraction(self.coefficient_milli or 0, MILLI)
        return int((self.amount_vnd if self.unit == Unit.VND else self.years) or 0)

    def set_value(self, value: int | Fraction) -> None:
        self.amount_vnd = int(value) if self.unit == Unit.VND else None
        self.coefficient_milli = int(value * MILLI) if self.unit == Unit.COEFFICIENT else None
        self.years = int(value) if self.unit == Unit.YEARS else None

    def to_row(self) -> RateRow:
        return RateRow(
            code=self.code,
            scope=self.scope,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            unit=Unit(self.unit),
            value=self.value,
            unverified=self.unverified,
            source=self.source,
            id=self.id,
        )

    def summary(self) -> dict[str, Any]:
        """For the audit log: the row's figures (rates hold no personal data)."""
        return self.to_row().describe() | {"source": self.source}
