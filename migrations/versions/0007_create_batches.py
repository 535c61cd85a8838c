"""create batches, payouts, holds, approvals and manual holds

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from payments.db import UTCDateTime
from payments.guards import drop_append_only, make_append_only

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("programme", sa.String(10), nullable=False),
        sa.Column("adapter", sa.String(60), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("parent_batch_id", BigIntPK, nullable=True),
        sa.Column("total_vnd", sa.BigInteger(), nullable=False),
        sa.Column("payout_count", sa.Integer(), nullable=False),
        sa.Column("manifest_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_by", sa.String(64), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("state_changed_at", UTCDateTime(), nullable=False),
        sa.Column("dispatch_holder", sa.String(120), nullable=True),
        sa.Column("dispatch_expires_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_batch_id"], ["batches.id"], name=op.f("fk_batches_parent_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index("ix_batches_period_state", "batches", ["period", "state"])
    op.create_table(
        "payouts",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("batch_id", BigIntPK, nullable=False),
        sa.Column("payout_key", sa.String(35), nullable=False),
        sa.Column("beneficiary_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("instrument_id", sa.BigInteger(), nullable=False),
        sa.Column("instrument_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("instrument_key_id", sa.String(40), nullable=False),
        sa.Column("instrument_masked", sa.JSON(), nullable=False),
        sa.Column("beneficiary_name", sa.String(200), nullable=False),
        sa.Column("commune_code", sa.String(10), nullable=False),
        sa.Column("category_code", sa.String(60), nullable=False),
        sa.Column("reason_code", sa.String(10), nullable=True),
        sa.Column("reason_text", sa.String(300), nullable=True),
        sa.Column("provider_reference", sa.String(120), nullable=True),
        sa.Column("original_payout_id", BigIntPK, nullable=True),
        sa.Column("send_attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_payouts_batch_id_batches")),
        sa.ForeignKeyConstraint(
            ["original_payout_id"], ["payouts.id"], name=op.f("fk_payouts_original_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("payout_key", name=op.f("uq_payouts_payout_key")),
    )
    op.create_index("ix_payouts_batch_state", "payouts", ["batch_id", "state"])
    op.create_index("ix_payouts_beneficiary", "payouts", ["beneficiary_id"])
    op.create_table(
        "batch_holds",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("programme", sa.String(10), nullable=False),
        sa.Column("adapter", sa.String(60), nullable=True),
        sa.Column("beneficiary_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_holds")),
    )
    op.create_index("ix_batch_holds_period", "batch_holds", ["period", "programme"])
    op.create_table(
        "batch_approvals",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("batch_id", BigIntPK, nullable=False),
        sa.Column("approver", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("manifest_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_approvals_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_approvals")),
    )
    op.create_index(op.f("ix_batch_approvals_batch_id"), "batch_approvals", ["batch_id"])
    make_append_only("batch_approvals")
    op.create_table(
        "manual_holds",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("beneficiary_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("placed_by", sa.String(64), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_holds")),
    )
    op.create_index(op.f("ix_manual_holds_beneficiary_id"), "manual_holds", ["beneficiary_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_manual_holds_beneficiary_id"), table_name="manual_holds")
    op.drop_table("manual_holds")
    drop_append_only("batch_approvals")
    op.drop_index(op.f("ix_batch_approvals_batch_id"), table_name="batch_approvals")
    op.drop_table("batch_approvals")
    op.drop_index("ix_batch_holds_period", table_name="batch_holds")
    op.drop_table("batch_holds")
    op.drop_index("ix_payouts_beneficiary", table_name="payouts")
    op.drop_index("ix_payouts_batch_state", table_name="payouts")
    op.drop_table("payouts")
    op.drop_index("ix_batches_period_state", table_name="batches")
    op.drop_table("batches")
