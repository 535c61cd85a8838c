"""create adapter state (callback nonces)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from payments.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adapter_nonces",
        sa.Column("adapter", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("adapter", "nonce", name=op.f("pk_adapter_nonces")),
    )
    op.create_index(op.f("ix_adapter_nonces_expires_at"), "adapter_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_adapter_nonces_expires_at"), table_name="adapter_nonces")
    op.drop_table("adapter_nonces")
