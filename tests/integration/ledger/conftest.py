"""Helpers for ledger tests that tamper with the stored books behind the services' back."""

from datetime import date

import pytest
from sqlalchemy import text

from payments.config import development_signing_key
from payments.context import Actor
from payments.ledger import services
from payments.ledger.draft import EntryDraft
from payments.ledger.notes import NoteKey

ORIGIN = "payments.example/ledger"
SIGNER = development_signing_key()
TRUSTED = [NoteKey(ORIGIN, SIGNER.public_key())]
CLERK = Actor(username="clerk", role="system")
_GUARDED = ("ledger_entries", "ledger_postings", "ledger_checkpoints", "ledger_accounts")
_SQLITE_TRIGGERS = (
    "ledger_entries_seal",
    "ledger_postings_refuse_sealed",
    *(f"{table}_no_{verb}" for table in _GUARDED for verb in ("update", "delete")),
)


def drop_guards(session, db_kind: str) -> None:
    """What a superuser or someone with the database file can do: switch the triggers off."""
    if db_kind == "postgresql":
        session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # ALTER TABLE waits for no deferred check
    for table in _GUARDED if db_kind == "postgresql" else ():
        session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    for trigger in _SQLITE_TRIGGERS if db_kind == "sqlite" else ():
        session.execute(text(f"DROP TRIGGER {trigger}"))
    if db_kind == "postgresql":
        session.execute(text("SET CONSTRAINTS ALL DEFERRED"))  # as the tamperer would, to move rows freely


def accrual(n: int, amount: int = 500_000, **extra) -> EntryDraft:
    postings = (("expense:BTXH", amount), (f"payable:{n % 3}", -amount))
    return EntryDraft(f"k{n}", "accrual", date(2025, 7, 1), postings, period="2025-07", **extra)


@pytest.fixture
def five_entries(session):
    services.post_entries(session, [accrual(n, 100_000 * n, memo={"n": n}) for n in range(1, 6)], actor=CLERK)
    session.flush()
    return session
