"""add users.session_version, so that signing out of the console ends the session on the server

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29

A console session is a signed cookie; clearing it in the browser that signs out leaves every
copy of it valid until it expires. Each session now carries the user's session version, which
signing out moves on. A column with a constant default rewrites no rows on PostgreSQL 11+ and
takes only a brief lock.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+), not a batch copy: copying `users` would
    # drop the table that user_roles and api_tokens still reference.
    op.drop_column("users", "session_version")
