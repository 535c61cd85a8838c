"""add console sign-in lockout columns to users

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

Adding nullable columns, or one with a constant default, rewrites no rows on PostgreSQL 11+
and takes only a brief lock.
"""

import sqlalchemy as sa
from alembic import op

from payments.db import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


COLUMNS = ("failed_logins", "locked_until", "last_login_at")


def upgrade() -> None:
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
    op.add_column("users", sa.Column("locked_until", UTCDateTime(), nullable=True))
    op.add_column("users", sa.Column("last_login_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+), not a batch copy: copying `users` would
    # drop the table that user_roles and api_tokens still reference.
    for column in reversed(COLUMNS):
        op.drop_column("users", column)
