"""create the append-only double-entry ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

The entry row is the seal (see payments/ledger/model.py): postings go in first, then their
entry; the database refuses an entry whose postings are fewer than two or do not sum to zero,
refuses a posting for an entry already sealed, and (deferred foreign key) refuses at COMMIT
postings whose entry never came. SQLite checks per row; PostgreSQL per statement, over
transition tables, so that bulk inserts pay one set-based check per statement.
"""

import sqlalchemy as sa
from alembic import op

from payments.db import UTCDateTime
from payments.guards import drop_append_only, make_append_only

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("ledger_accounts", "ledger_entries", "ledger_postings", "ledger_checkpoints")
KINDS = (
    "accrual",
    "arrears",
    "payout_initiated",
    "payout_settled",
    "payout_returned",
    "recovery",
    "offset",
    "reversal",
)
TYPES = ("expense", "payable", "in_flight", "settlement", "receivable")

SQLITE_SEAL = [
    """CREATE TRIGGER ledger_postings_refuse_sealed BEFORE INSERT ON ledger_postings
    FOR EACH ROW WHEN EXISTS (SELECT 1 FROM ledger_entries WHERE seq = NEW.entry_seq)
    BEGIN SELECT RAISE(ABORT, 'ledger: a posting cannot be added to a sealed entry'); END""",
    """CREATE TRIGGER ledger_entries_seal BEFORE INSERT ON ledger_entries
    FOR EACH ROW WHEN (
        SELECT count(*) < 2 OR coalesce(sum(amount_vnd), 0) <> 0
        FROM ledger_postings WHERE entry_seq = NEW.seq
    )
    BEGIN SELECT RAISE(ABORT, 'ledger: an entry needs two or more postings summing to zero'); END""",
]

PG_SEAL = [
    """CREATE FUNCTION ledger_refuse_sealed_postings() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bad bigint;
    BEGIN
        SELECT p.entry_seq INTO bad FROM new_postings p JOIN ledger_entries e ON e.seq = p.entry_seq LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'ledger: a posting cannot be added to a sealed entry (seq %)', bad
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER ledger_postings_refuse_sealed AFTER INSERT ON ledger_postings
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_sealed_postings()""",
    """CREATE FUNCTION ledger_seal_entries() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bad bigint;
    BEGIN
        SELECT e.seq INTO bad FROM new_entries e LEFT JOIN ledger_postings p ON p.entry_seq = e.seq
        GROUP BY e.seq
        HAVING count(p.entry_seq) < 2 OR coalesce(sum(p.amount_vnd), 0) <> 0
        ORDER BY e.seq LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'ledger: an entry needs two or more postings summing to zero (seq %)', bad
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER ledger_entries_seal AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_seal_entries()""",
]


def _where(column: str) -> dict[str, sa.TextClause]:
    condition = sa.text(f"{column} IS NOT NULL")
    return {"sqlite_where": condition, "postgresql_where": condition}


def _one_of(column: str, values: tuple[str, ...]) -> str:
    # An OR chain, not IN: SQLite builds an ephemeral index per execution for IN lists of 3+.
    return " OR ".join(f"{column} = '{value}'" for value in values)


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("code", sa.String(120), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("owner_ref", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_one_of("type", TYPES), name=op.f("ck_ledger_accounts_known_type")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("code", name=op.f("uq_ledger_accounts_code")),
    )
    op.create_table(
        "ledger_balances",
        sa.Column("account_id", BigIntPK, nullable=False),
        sa.Column("balance_vnd", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_ledger_balances_account_id_ledger_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_ledger_balances")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("seq", BigIntPK, autoincrement=False, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("reverses_seq", BigIntPK, nullable=True),
        sa.Column("payout_ref", sa.String(80), nullable=True),
        sa.Column("enrolment_ref", sa.String(80), nullable=True),
        sa.Column("period", sa.String(7), nullable=True),
        sa.Column("memo", sa.JSON(none_as_null=True), nullable=True),
        sa.CheckConstraint(_one_of("kind", KINDS), name=op.f("ck_ledger_entries_known_kind")),
        sa.CheckConstraint(
            "period IS NULL OR period LIKE '____-__'", name=op.f("ck_ledger_entries_period_is_a_month")
        ),
        sa.CheckConstraint("seq > 0", name=op.f("ck_ledger_entries_seq_positive")),
        sa.ForeignKeyConstraint(
            ["reverses_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_ledger_entries_reverses_seq_ledger_entries"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_entries_idempotency_key")),
    )
    op.create_index(
        "uq_ledger_entries_reverses_seq",
        "ledger_entries",
        ["reverses_seq"],
        unique=True,
        **_where("reverses_seq"),
    )
    op.create_index("ix_ledger_entries_payout_ref", "ledger_entries", ["payout_ref"], **_where("payout_ref"))
    op.create_index(
        "ix_ledger_entries_enrolment_ref",
        "ledger_entries",
        ["enrolment_ref", "period"],
        **_where("enrolment_ref"),
    )
    op.create_table(
        "ledger_postings",
        sa.Column("entry_seq", BigIntPK, nullable=False),
        sa.Column("line", sa.SmallInteger(), nullable=False),
        sa.Column("account_id", BigIntPK, nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_vnd <> 0", name=op.f("ck_ledger_postings_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["ledger_entries.seq"],
            name=op.f("fk_ledger_postings_entry_seq_ledger_entries"),
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_ledger_postings_account_id_ledger_accounts")
        ),
        sa.PrimaryKeyConstraint("entry_seq", "line", name=op.f("pk_ledger_postings")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_ledger_postings_account_seq", "ledger_postings", ["account_id", "entry_seq", "amount_vnd"]
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("key_name", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
    )
    for statement in PG_SEAL if op.get_bind().dialect.name == "postgresql" else SQLITE_SEAL:
        op.execute(statement)
    for table in APPEND_ONLY:
        make_append_only(table)


def downgrade() -> None:
    for table in reversed(APPEND_ONLY):
        drop_append_only(table)
    op.execute("DROP TRIGGER IF EXISTS ledger_entries_seal" + _on("ledger_entries"))
    op.execute("DROP TRIGGER IF EXISTS ledger_postings_refuse_sealed" + _on("ledger_postings"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_seal_entries()")
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_sealed_postings()")
    op.drop_table("ledger_checkpoints")
    op.drop_index("ix_ledger_postings_account_seq", table_name="ledger_postings")
    op.drop_table("ledger_postings")
    op.drop_index("uq_ledger_entries_reverses_seq", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_enrolment_ref", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_payout_ref", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_balances")
    op.drop_table("ledger_accounts")


def _on(table: str) -> str:
    return f" ON {table}" if op.get_bind().dialect.name == "postgresql" else ""
