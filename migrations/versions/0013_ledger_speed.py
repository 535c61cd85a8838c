"""ledger postings: the account check moves into the seal trigger; PostgreSQL triggers look at a range

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29

Two costs of bulk posting, measured with bench/ledger.py (the guarantees stay the same):

1. The statement triggers of 0002 on PostgreSQL join the rows just inserted (a transition
   table) with the whole of ledger_entries or ledger_postings. PL/pgSQL plans such a query once
   per session and the plan made while the tables were small (sequential scans) stays, so each
   chunk of a bulk post read every posting written before it: 500,000 entries read about 75
   million rows. Each check now bounds the stored side to the sequence numbers being inserted
   (an index range scan), and the functions are planned for the range at hand on every call
   (`plan_cache_mode = force_custom_plan`), so no stale plan can scan the tables.

2. The foreign key from a posting to its account was checked row by row: on PostgreSQL a
   query and a row lock per posting, a quarter of the server's time in a bulk post. The
   trigger that already runs for every posting insert now also refuses an account that does
   not exist: per statement over the new rows on PostgreSQL, per row on SQLite (an index
   lookup, as the foreign key did). Accounts can be neither updated nor deleted (append-only
   triggers), so no lock is needed to keep the account there. SQLite cannot drop a
   constraint; the table's schema text is edited in place the way SQLite documents for
   removing a FOREIGN KEY (no stored row changes), as 0012 does for a CHECK.

The deferred foreign key from a posting to its entry stays: it is what refuses, at COMMIT,
postings whose entry never arrives.
"""

import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ACCOUNT_FK = "fk_ledger_postings_account_id_ledger_accounts"
ACCOUNT_FK_CLAUSE = f"CONSTRAINT {ACCOUNT_FK} FOREIGN KEY(account_id) REFERENCES ledger_accounts (id)"

SQLITE_POSTING_CHECKS = """
CREATE TRIGGER ledger_postings_refuse_sealed BEFORE INSERT ON ledger_postings
FOR EACH ROW WHEN EXISTS (SELECT 1 FROM ledger_entries WHERE seq = NEW.entry_seq)
    OR NOT EXISTS (SELECT 1 FROM ledger_accounts WHERE id = NEW.account_id)
BEGIN
    SELECT RAISE(ABORT, 'ledger: a posting cannot be added to a sealed entry')
    WHERE EXISTS (SELECT 1 FROM ledger_entries WHERE seq = NEW.entry_seq);
    SELECT RAISE(ABORT, 'ledger: a posting must name an existing account');
END"""

SQLITE_POSTING_CHECKS_0002 = """
CREATE TRIGGER ledger_postings_refuse_sealed BEFORE INSERT ON ledger_postings
    FOR EACH ROW WHEN EXISTS (SELECT 1 FROM ledger_entries WHERE seq = NEW.entry_seq)
    BEGIN SELECT RAISE(ABORT, 'ledger: a posting cannot be added to a sealed entry'); END"""

PG_POSTING_CHECKS = """
CREATE OR REPLACE FUNCTION ledger_refuse_sealed_postings() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE lo bigint; hi bigint; bad bigint;
BEGIN
    SELECT min(entry_seq), max(entry_seq) INTO lo, hi FROM new_postings;
    SELECT p.entry_seq INTO bad FROM new_postings p
    WHERE p.entry_seq IN (SELECT e.seq FROM ledger_entries e WHERE e.seq BETWEEN lo AND hi)
    ORDER BY p.entry_seq LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: a posting cannot be added to a sealed entry (seq %)', bad
            USING ERRCODE = 'restrict_violation';
    END IF;
    SELECT p.account_id INTO bad FROM (SELECT DISTINCT account_id FROM new_postings) p
    WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = p.account_id)
    ORDER BY p.account_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: a posting must name an existing account (account id %)', bad
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$"""

PG_SEAL = """
CREATE OR REPLACE FUNCTION ledger_seal_entries() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE lo bigint; hi bigint; bad bigint;
BEGIN
    SELECT min(seq), max(seq) INTO lo, hi FROM new_entries;
    SELECT e.seq INTO bad FROM new_entries e
    LEFT JOIN (
        SELECT p.entry_seq, count(*) AS lines, sum(p.amount_vnd) AS total FROM ledger_postings p
        WHERE p.entry_seq BETWEEN lo AND hi GROUP BY p.entry_seq
    ) s ON s.entry_seq = e.seq
    WHERE s.entry_seq IS NULL OR s.lines < 2 OR s.total <> 0
    ORDER BY e.seq LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: an entry needs two or more postings summing to zero (seq %)', bad
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$"""

# As 0002 created them (CREATE OR REPLACE also drops the plan_cache_mode setting).
PG_POSTING_CHECKS_0002 = """
CREATE OR REPLACE FUNCTION ledger_refuse_sealed_postings() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bad bigint;
    BEGIN
        SELECT p.entry_seq INTO bad FROM new_postings p JOIN ledger_entries e ON e.seq = p.entry_seq LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'ledger: a posting cannot be added to a sealed entry (seq %)', bad
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NULL;
    END
    $$"""

PG_SEAL_0002 = """
CREATE OR REPLACE FUNCTION ledger_seal_entries() RETURNS trigger LANGUAGE plpgsql AS $$
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
    $$"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(PG_POSTING_CHECKS)  # refuses unknown accounts before the foreign key goes
        op.execute(PG_SEAL)
        op.drop_constraint(ACCOUNT_FK, "ledger_postings", type_="foreignkey")
        return
    op.execute("DROP TRIGGER ledger_postings_refuse_sealed")
    op.execute(SQLITE_POSTING_CHECKS)
    _edit_sqlite_postings(bind, _without_account_fk)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.create_foreign_key(ACCOUNT_FK, "ledger_postings", "ledger_accounts", ["account_id"], ["id"])
        op.execute(PG_POSTING_CHECKS_0002)
        op.execute(PG_SEAL_0002)
        return
    _edit_sqlite_postings(bind, _with_account_fk)
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check(ledger_postings)").fetchall()
    if problems:
        raise RuntimeError(
            f"{len(problems)} postings name no existing account: the foreign key cannot return"
        )
    op.execute("DROP TRIGGER ledger_postings_refuse_sealed")
    op.execute(SQLITE_POSTING_CHECKS_0002)


def _without_account_fk(sql: str) -> str:
    clause = re.compile(r",\s*" + re.escape(ACCOUNT_FK_CLAUSE))
    if len(clause.findall(sql)) != 1:
        raise RuntimeError(f"ledger_postings: {ACCOUNT_FK} is not the one this migration expects")
    return clause.sub("", sql)


def _with_account_fk(sql: str) -> str:
    # Back where 0002 put it: right after the foreign key to the entry.
    anchor = "REFERENCES ledger_entries (seq) DEFERRABLE INITIALLY DEFERRED"
    if ACCOUNT_FK in sql or sql.count(anchor) != 1:
        raise RuntimeError("ledger_postings: the schema text is not the one this migration left")
    return sql.replace(anchor, f"{anchor}, \n\t{ACCOUNT_FK_CLAUSE}")


def _edit_sqlite_postings(bind: sa.Connection, edit: Callable[[str], str]) -> None:
    """Rewrite the CREATE TABLE text of ledger_postings (constraints only: no row changes)."""
    where = "type = 'table' AND name = 'ledger_postings'"
    sql = bind.execute(sa.text(f"SELECT sql FROM sqlite_master WHERE {where}")).scalar_one()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.execute(sa.text(f"UPDATE sqlite_master SET sql = :sql WHERE {where}"), {"sql": edit(sql)})
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = RESET")  # reload the schema on this connection
    bind.exec_driver_sql("SELECT count(*) FROM ledger_postings WHERE 0").scalar_one()
