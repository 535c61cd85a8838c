"""index payouts by provider_reference, for reconciliation's second pass

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29

Pass 2 of matching looks payouts up by the provider's transaction id (`provider_reference`)
for the lines a chunk could not match by payout key. Without an index each such lookup read
the whole payouts table: a chunk of a million-line statement on a million payouts spent a
quarter of a second on it, and the statement a hundred of them. On PostgreSQL the index is
built CONCURRENTLY, so dispatch and callbacks keep writing payouts meanwhile.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX = "ix_payouts_provider_reference"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(INDEX, "payouts", ["provider_reference"], postgresql_concurrently=True)
    else:
        op.create_index(INDEX, "payouts", ["provider_reference"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(INDEX, table_name="payouts", postgresql_concurrently=True)
    else:
        op.drop_index(INDEX, table_name="payouts")
