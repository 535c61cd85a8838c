"""ledger postings: on PostgreSQL the sealed-entry check waits for the ledger's writer first

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

The statement trigger of 0013 refuses postings to an entry already in ledger_entries, but it
looks under its own snapshot: while the application's writer has inserted entry N and not yet
committed, a posting for N inserted from another connection finds no entry N and passes, the
deferred foreign key finds N at COMMIT, and N is committed with a line it was not sealed with.

The trigger function now first takes the transaction advisory lock the ledger's writers hold
(`payments.db.serialize_writers(session, "ledger")`), so such an insert waits for the writer's
COMMIT and then sees the entry sealed. Our writers hold that lock already (advisory locks are
re-entrant within a transaction, so this costs them nothing). Only the ledger lock is taken:
our writers take the audit log's lock before it, and an insert from elsewhere holds neither,
so no order of the two is reversed. SQLite has one writer at a time and needs nothing.
"""

import hashlib

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The key serialize_writers derives for "ledger"; written out here so that this migration keeps
# meaning what it meant whatever later code does.
LEDGER_WRITERS_LOCK = int.from_bytes(hashlib.sha256(b"ledger").digest()[:8], "big", signed=True)

PG_POSTING_CHECKS = f"""
CREATE OR REPLACE FUNCTION ledger_refuse_sealed_postings() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE lo bigint; hi bigint; bad bigint;
BEGIN
    -- Wait for the ledger's writer, so that an entry it is sealing is visible (or refused) here.
    PERFORM pg_advisory_xact_lock({LEDGER_WRITERS_LOCK});
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

# As 0013 left it.
PG_POSTING_CHECKS_0013 = """
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


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_POSTING_CHECKS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_POSTING_CHECKS_0013)
