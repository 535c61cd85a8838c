"""allow ledger entries of kind write_off (reconciliation write-offs)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29

Widens the CHECK on ledger_entries.kind by one value; no row changes. PostgreSQL: the new
constraint is added NOT VALID (a brief lock, no scan), then validated, which scans without
blocking writers. SQLite cannot alter a CHECK; rebuilding the ledger table would copy every
entry and drop its triggers, so the constraint text is edited in place the way SQLite documents
for changes that leave the stored rows valid (writable_schema, schema version bumped, schema
reloaded). A wider CHECK accepts every row the narrower one did.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

NAME = "ck_ledger_entries_known_kind"
BEFORE = (
    "accrual",
    "arrears",
    "payout_initiated",
    "payout_settled",
    "payout_returned",
    "recovery",
    "offset",
    "reversal",
)
AFTER = (*BEFORE, "write_off")


def _one_of(values: tuple[str, ...]) -> str:
    return " OR ".join(f"kind = '{value}'" for value in values)  # as 0002 wrote it


def upgrade() -> None:
    _replace_check(BEFORE, AFTER)


def downgrade() -> None:
    bind = op.get_bind()
    found = bind.execute(sa.text("SELECT count(*) FROM ledger_entries WHERE kind = 'write_off'")).scalar()
    if found:
        raise RuntimeError(
            f"{found} write_off ledger entries exist; the ledger is append-only, so this stays"
        )
    _replace_check(AFTER, BEFORE)


def _replace_check(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE ledger_entries DROP CONSTRAINT {NAME}")
        op.execute(f"ALTER TABLE ledger_entries ADD CONSTRAINT {NAME} CHECK ({_one_of(new)}) NOT VALID")
        op.execute(f"ALTER TABLE ledger_entries VALIDATE CONSTRAINT {NAME}")
        return
    _edit_sqlite_check(bind, _one_of(old), _one_of(new))


def _edit_sqlite_check(bind: sa.Connection, old: str, new: str) -> None:
    where = "type = 'table' AND name = 'ledger_entries'"
    sql = bind.execute(sa.text(f"SELECT sql FROM sqlite_master WHERE {where}")).scalar_one()
    if sql.count(old) != 1:
        raise RuntimeError(f"ledger_entries: constraint {NAME} is not the one this migration expects")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.execute(
        sa.text(f"UPDATE sqlite_master SET sql = :sql WHERE {where}"), {"sql": sql.replace(old, new)}
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = RESET")  # reload the schema on this connection
    # Only the schema text changed, so a full integrity check (a scan of the whole ledger) would
    # prove nothing more than this: the edited schema parses and the table reads.
    bind.exec_driver_sql("SELECT count(*) FROM ledger_entries WHERE 0").scalar_one()
