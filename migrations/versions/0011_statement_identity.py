"""create recon_statements: each imported statement by its own identity, unique

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-29

A statement sent again as other bytes (a new message id or creation time) has another SHA-256
but the same account, statement id and sequence or days; this table keeps that identity so the
second import is refused. A new, empty table: no existing rows are rewritten or locked.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "recon_statements",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("import_id", BigIntPK, nullable=False),
        sa.Column("identity", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["recon_imports.id"], name=op.f("fk_recon_statements_import_id_recon_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_statements")),
        sa.UniqueConstraint("identity", name=op.f("uq_recon_statements_identity")),
    )
    op.create_index("ix_recon_statements_import_id", "recon_statements", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_recon_statements_import_id", table_name="recon_statements")
    op.drop_table("recon_statements")
