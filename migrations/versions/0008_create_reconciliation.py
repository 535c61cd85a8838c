"""create reconciliation imports, lines, matches, exceptions, exception events and runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from payments.db import UTCDateTime
from payments.guards import drop_append_only, make_append_only

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("recon_lines", "recon_matches", "recon_exception_events")


def upgrade() -> None:
    _imports()
    _lines()
    _matches()
    _exceptions()
    _runs()
    for table in APPEND_ONLY:
        make_append_only(table)
    _refuse_delete("recon_exceptions")
    live = sa.text("state IN ('sending', 'accepted', 'in_doubt')")
    op.create_index(
        "ix_payouts_live_amount", "payouts", ["amount_vnd"], sqlite_where=live, postgresql_where=live
    )


def _refuse_delete(table: str) -> None:
    """Exceptions change state but are never deleted (their history is append-only)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION payments_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change()"
        )
        return
    op.execute(
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'DELETE on {table} is refused: exceptions are never deleted'); END"
    )


def _drop_refuse_delete(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def _imports() -> None:
    op.create_table(
        "recon_imports",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("adapter", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("processed_through", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(60), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("opening_vnd", sa.BigInteger(), nullable=True),
        sa.Column("closing_vnd", sa.BigInteger(), nullable=True),
        sa.Column("booked_vnd", sa.BigInteger(), nullable=False),
        sa.Column("imported_by", sa.String(64), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_imports")),
        sa.UniqueConstraint("sha256", name=op.f("uq_recon_imports_sha256")),
    )
    op.create_index("ix_recon_imports_adapter_state", "recon_imports", ["adapter", "state"])


def _lines() -> None:
    op.create_table(
        "recon_lines",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("import_id", BigIntPK, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("movement", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=True),
        sa.Column("direction", sa.String(4), nullable=True),
        sa.Column("booking_date", sa.Date(), nullable=True),
        sa.Column("end_to_end_id", sa.String(140), nullable=True),
        sa.Column("instr_id", sa.String(140), nullable=True),
        sa.Column("provider_tx_id", sa.String(140), nullable=True),
        sa.Column("account_servicer_ref", sa.String(140), nullable=True),
        sa.Column("payment_info_id", sa.String(140), nullable=True),
        sa.Column("reference", sa.String(140), nullable=True),
        sa.Column("reason", sa.String(10), nullable=True),
        sa.Column("reason_text", sa.String(300), nullable=True),
        sa.Column("holder_name", sa.String(200), nullable=True),
        sa.Column("batch_count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"], ["recon_imports.id"], name=op.f("fk_recon_lines_import_id_recon_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_lines")),
    )
    op.create_index("ix_recon_lines_import_position", "recon_lines", ["import_id", "position"], unique=True)
    op.create_index("ix_recon_lines_payment_info_id", "recon_lines", ["payment_info_id"])


def _matches() -> None:
    op.create_table(
        "recon_matches",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("line_id", BigIntPK, nullable=False),
        sa.Column("payout_id", BigIntPK, nullable=False),
        sa.Column("match_pass", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("movement", sa.Boolean(), nullable=False),
        sa.Column("direction", sa.String(4), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["recon_lines.id"], name=op.f("fk_recon_matches_line_id_recon_lines")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_recon_matches_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_matches")),
    )
    op.create_index("ix_recon_matches_line_payout", "recon_matches", ["line_id", "payout_id"], unique=True)
    op.create_index("ix_recon_matches_payout", "recon_matches", ["payout_id", "movement"])


def _exceptions() -> None:
    op.create_table(
        "recon_exceptions",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=False),
        sa.Column("adapter", sa.String(60), nullable=False),
        sa.Column("payout_id", BigIntPK, nullable=True),
        sa.Column("line_id", BigIntPK, nullable=True),
        sa.Column("import_id", BigIntPK, nullable=True),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("resolution", sa.String(30), nullable=True),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.String(64), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["recon_imports.id"], name=op.f("fk_recon_exceptions_import_id_recon_imports")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["recon_lines.id"], name=op.f("fk_recon_exceptions_line_id_recon_lines")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_recon_exceptions_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_exceptions")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_recon_exceptions_fingerprint")),
    )
    op.create_index("ix_recon_exceptions_state_kind", "recon_exceptions", ["state", "kind"])
    op.create_table(
        "recon_exception_events",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("exception_id", BigIntPK, nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["recon_exceptions.id"],
            name=op.f("fk_recon_exception_events_exception_id_recon_exceptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_exception_events")),
    )
    op.create_index(
        op.f("ix_recon_exception_events_exception_id"), "recon_exception_events", ["exception_id"]
    )


def _runs() -> None:
    op.create_table(
        "recon_runs",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("adapter", sa.String(60), nullable=True),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_runs")),
    )


def downgrade() -> None:
    op.drop_index("ix_payouts_live_amount", table_name="payouts")
    _drop_refuse_delete("recon_exceptions")
    for table in APPEND_ONLY:
        drop_append_only(table)
    op.drop_table("recon_runs")
    op.drop_index(op.f("ix_recon_exception_events_exception_id"), table_name="recon_exception_events")
    op.drop_table("recon_exception_events")
    op.drop_index("ix_recon_exceptions_state_kind", table_name="recon_exceptions")
    op.drop_table("recon_exceptions")
    op.drop_index("ix_recon_matches_payout", table_name="recon_matches")
    op.drop_index("ix_recon_matches_line_payout", table_name="recon_matches")
    op.drop_table("recon_matches")
    op.drop_index("ix_recon_lines_payment_info_id", table_name="recon_lines")
    op.drop_index("ix_recon_lines_import_position", table_name="recon_lines")
    op.drop_table("recon_lines")
    op.drop_index("ix_recon_imports_adapter_state", table_name="recon_imports")
    op.drop_table("recon_imports")
