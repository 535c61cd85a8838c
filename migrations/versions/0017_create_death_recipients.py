"""create death_recipients: who is paid what is owed to a beneficiary who has died

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29

The family member or organisation that arranged the funeral (Decree 20/2021 art. 11) receives
the funeral grant and any month still due, into their own instrument. One row per record; a
correction is a new row superseding the one in force, so the table is history: the database
refuses DELETE (and TRUNCATE on PostgreSQL) and any UPDATE but key rotation's, which re-seals the
citizen ID and account ciphertexts and their key ids under a new key and names no other column.
`BEFORE UPDATE OF <every other column>` fires on both SQLite and PostgreSQL whenever one of
those columns is named in an UPDATE, whatever its value: a column added later must join
PROTECTED (a new migration), or it could be rewritten.
"""

import sqlalchemy as sa
from alembic import op

from payments.db import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "death_recipients"
PROTECTED = (
    "id", "beneficiary_id", "supersedes_id", "recipient_type", "full_name", "relationship",
    "citizen_id_bidx", "kind", "bank_bin", "wallet_provider", "account_bidx", "holder_name",
    "decision_reference", "recorded_at", "recorded_by",
)  # fmt: skip
REFUSED = f"UPDATE of a recorded {TABLE} row is refused: record a correction instead"


def _pii(name: str) -> list[sa.Column]:
    return [
        sa.Column(f"{name}_ct", sa.LargeBinary(), nullable=True),
        sa.Column(f"{name}_key", sa.String(32), nullable=True),
        sa.Column(f"{name}_bidx", sa.String(64), nullable=True),
    ]


def _checks() -> list[sa.CheckConstraint]:
    return [
        sa.CheckConstraint(
            "recipient_type IN ('person', 'organisation')", name=op.f(f"ck_{TABLE}_known_recipient_type")
        ),
        sa.CheckConstraint(
            "(recipient_type = 'person' AND citizen_id_ct IS NOT NULL)"
            " OR (recipient_type = 'organisation' AND citizen_id_ct IS NULL)",
            name=op.f(f"ck_{TABLE}_citizen_id_for_a_person"),
        ),
        sa.CheckConstraint("kind IN ('bank', 'ewallet', 'cash')", name=op.f(f"ck_{TABLE}_known_kind")),
        sa.CheckConstraint(
            "(kind = 'bank' AND bank_bin IS NOT NULL AND account_ct IS NOT NULL AND holder_name IS NOT NULL)"
            " OR (kind = 'ewallet' AND wallet_provider IS NOT NULL AND account_ct IS NOT NULL)"
            " OR (kind = 'cash' AND account_ct IS NULL AND recipient_type = 'person')",
            name=op.f(f"ck_{TABLE}_fields_for_kind"),
        ),
    ]


def _foreign_keys() -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["beneficiary_id"], ["beneficiaries.id"], name=op.f(f"fk_{TABLE}_beneficiary_id_beneficiaries")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], [f"{TABLE}.id"], name=op.f(f"fk_{TABLE}_supersedes_id_{TABLE}")
        ),
        sa.ForeignKeyConstraint(["bank_bin"], ["banks.bin"], name=op.f(f"fk_{TABLE}_bank_bin_banks")),
        sa.ForeignKeyConstraint(
            ["wallet_provider"],
            ["wallet_providers.code"],
            name=op.f(f"fk_{TABLE}_wallet_provider_wallet_providers"),
        ),
    ]


def _create_table() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("beneficiary_id", BigIntPK, nullable=False),
        sa.Column("supersedes_id", BigIntPK, nullable=True),
        sa.Column("recipient_type", sa.String(12), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("relationship", sa.String(60), nullable=False),
        *_pii("citizen_id"),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("bank_bin", sa.String(6), nullable=True),
        sa.Column("wallet_provider", sa.String(20), nullable=True),
        *_pii("account"),
        sa.Column("holder_name", sa.String(200), nullable=True),
        sa.Column("decision_reference", sa.String(200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        *_checks(),
        *_foreign_keys(),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("supersedes_id", name=op.f(f"uq_{TABLE}_supersedes_id")),
    )
    for column in ("beneficiary_id", "citizen_id_bidx", "account_bidx"):
        op.create_index(op.f(f"ix_{TABLE}_{column}"), TABLE, [column])
    op.create_index(
        f"ix_{TABLE}_one_first",
        TABLE,
        ["beneficiary_id"],
        unique=True,
        sqlite_where=sa.text("supersedes_id IS NULL"),
        postgresql_where=sa.text("supersedes_id IS NULL"),
    )


def _guard() -> None:
    """History: no DELETE, no TRUNCATE, and UPDATE only of the sealed values (key rotation)."""
    columns = ", ".join(PROTECTED)
    if op.get_bind().dialect.name == "postgresql":
        # payments_refuse_change() is 0001's; it names the operation and the table.
        op.execute(
            f"CREATE TRIGGER {TABLE}_reseal_only BEFORE UPDATE OF {columns} ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION payments_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION payments_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change()"
        )
        return
    op.execute(
        f"CREATE TRIGGER {TABLE}_reseal_only BEFORE UPDATE OF {columns} ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, 'DELETE on {TABLE} is refused: the table is append-only'); END"
    )


def upgrade() -> None:
    _create_table()
    _guard()


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in ("reseal_only", "no_delete", *(("no_truncate",) if postgresql else ())):
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{trigger}" + (f" ON {TABLE}" if postgresql else ""))
    op.drop_table(TABLE)
