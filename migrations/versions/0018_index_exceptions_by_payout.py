"""recon_exceptions: an index on payout_id

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29

Builds and every dispatch claim now ask whether a person's failed payout has an open exception
saying the provider paid it after all (`disbursements.repository.failures_said_paid`), joining
recon_exceptions by payout; without an index each chunk of a dispatch would read the whole
table, which only grows (exceptions are never deleted).
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_recon_exceptions_payout_id"), "recon_exceptions", ["payout_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recon_exceptions_payout_id"), table_name="recon_exceptions")
