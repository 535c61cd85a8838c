"""create effective-dated entitlement rates, seeded from payments/entitlements/data/rates.json

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Validity is inclusive at both ends (valid_to NULL: open-ended). Coefficients are stored in
exact thousandths. The seed reads the data file with its own few lines (no model import), so
later model changes cannot alter what this revision did.
"""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from payments.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SEED_FILE = Path(__file__).resolve().parents[2] / "payments" / "entitlements" / "data" / "rates.json"
VALUE_MATCHES_UNIT = (
    "(unit = 'vnd' AND amount_vnd IS NOT NULL AND amount_vnd >= 0"
    " AND coefficient_milli IS NULL AND years IS NULL)"
    " OR (unit = 'coefficient' AND coefficient_milli IS NOT NULL AND coefficient_milli >= 0"
    " AND amount_vnd IS NULL AND years IS NULL)"
    " OR (unit = 'years' AND years IS NOT NULL AND years >= 0"
    " AND amount_vnd IS NULL AND coefficient_milli IS NULL)"
)


def upgrade() -> None:
    rates = op.create_table(
        "rates",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("unit", sa.String(12), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=True),
        sa.Column("coefficient_milli", sa.Integer(), nullable=True),
        sa.Column("years", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("unverified", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("superseded_at", UTCDateTime(), nullable=True),
        sa.Column("superseded_by_id", BigIntPK, nullable=True),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_rates_valid_dates")),
        sa.CheckConstraint("unit IN ('vnd', 'coefficient', 'years')", name=op.f("ck_rates_known_unit")),
        sa.CheckConstraint(VALUE_MATCHES_UNIT, name=op.f("ck_rates_value_matches_unit")),
        sa.CheckConstraint("scope = 'national' OR length(scope) = 2", name=op.f("ck_rates_scope_shape")),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"], ["rates.id"], name=op.f("fk_rates_superseded_by_id_rates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rates")),
    )
    op.create_index("ix_rates_code_scope_valid_from", "rates", ["code", "scope", "valid_from"])
    op.bulk_insert(rates, _seed_rows())


def downgrade() -> None:
    op.drop_index("ix_rates_code_scope_valid_from", table_name="rates")
    op.drop_table("rates")


def _seed_rows() -> list[dict]:
    now = datetime.now(UTC)
    return [_row(item, now) for item in json.loads(SEED_FILE.read_text(encoding="utf-8"))["rates"]]


def _row(item: dict, now: datetime) -> dict:
    value, unit = item["value"], item["unit"]
    return {
        "code": item["code"],
        "scope": item["scope"],
        "valid_from": date.fromisoformat(item["valid_from"]),
        "valid_to": date.fromisoformat(item["valid_to"]) if item["valid_to"] else None,
        "unit": unit,
        "amount_vnd": value if unit == "vnd" else None,
        "coefficient_milli": int(Decimal(value) * 1000) if unit == "coefficient" else None,
        "years": value if unit == "years" else None,
        "source": item["source"],
        "unverified": item["unverified"],
        "created_at": now,
        "created_by": "migration:0004",
        "superseded_at": None,
        "superseded_by_id": None,
    }
