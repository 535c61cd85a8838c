"""Key rotation: re-encrypt personal data under the current (first) PII key, in chunks.

Each chunk is its own transaction, so an interrupted rotation keeps what it finished and a
second run picks up the rows still under an old key (rows are found by their key id): the
rotation resumes by construction, and running it when nothing is left does nothing. Within a
run each table is walked once, in id order: every chunk starts after the last row of the one
before, so neither the rows already rotated nor those left for later are read again (a walk
that restarted from the first id each time would read them once per chunk, quadratically).

Personal data lives in the registry (citizen IDs, legacy IDs, phones, account numbers; those of
the recipients of what is owed to the dead too) and in
every payout's sealed instrument snapshot (the account, phone or citizen ID it was sent to).
A snapshot is re-sealed with the same associated data and the same plaintext, so the manifest
hash (computed over the opened snapshot) and the approvals bound to it still hold. Payouts of
a batch being dispatched are left for a later run: the dispatch compares the very ciphertext
it checked, and would stop at a row re-sealed under it; they still count as left to rotate.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    LargeBinary,
    String,
    TableClause,
    and_,
    bindparam,
    column,
    func,
    or_,
    select,
    table,
    true,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from payments.audit.services import record_event
from payments.context import Actor
from payments.db import table_of
from payments.registry.crypto import PiiCipher
from payments.registry.model import Beneficiary, DeathRecipient, PaymentInstrument

PAYOUT_SNAPSHOT_FIELD = "payout_instrument"  # as disbursements.snapshots.SEALED_AS binds it in
# Disbursements sit above the registry, so their tables are named here, not imported.
_PAYOUTS = table(
    "payouts",
    column("id", BigInteger),
    column("batch_id", BigInteger),
    column("instrument_sealed", LargeBinary),
    column("instrument_key_id", String),
)
_BATCHES = table("batches", column("id", BigInteger), column("state", String))


@dataclass(frozen=True)
class Sealed:
    """One encrypted value of a row: the field name bound in as associated data, its columns."""

    field: str
    ciphertext: str
    key_id: str


@dataclass(frozen=True)
class Target:
    table: TableClause
    values: tuple[Sealed, ...]
    deferred: ColumnElement[bool] | None = None  # rows left for a later run (still counted)

    def stale(self, key_id: str) -> ColumnElement[bool]:
        return or_(*(self.table.c[value.key_id] != key_id for value in self.values))

    def due(self, key_id: str) -> ColumnElement[bool]:
        """Stale rows to re-seal in this run."""
        return and_(self.stale(key_id), ~self.deferred if self.deferred is not None else true())


def _registry(
    model: type[Beneficiary] | type[PaymentInstrument] | type[DeathRecipient], *fields: str
) -> Target:
    return Target(table_of(model), tuple(Sealed(name, f"{name}_ct", f"{name}_key") for name in fields))


_DISPATCHING = _PAYOUTS.c.batch_id.in_(select(_BATCHES.c.id).where(_BATCHES.c.state == "dispatching"))
TARGETS = (
    _registry(Beneficiary, "citizen_id", "legacy_id", "phone"),
    _registry(PaymentInstrument, "account"),
    # Sealed under the beneficiaries' and instruments' field names: see DeathRecipient.
    _registry(DeathRecipient, "citizen_id", "account"),
    Target(
        _PAYOUTS, (Sealed(PAYOUT_SNAPSHOT_FIELD, "instrument_sealed", "instrument_key_id"),), _DISPATCHING
    ),
)


def rows_to_rotate(session: Session, cipher: PiiCipher) -> int:
    """How many rows still hold a value under a key other than the current one."""
    return sum(
        session.scalar(select(func.count()).select_from(t.table).where(t.stale(cipher.current_key_id))) or 0
        for t in TARGETS
    )


def rotate_keys(
    session_factory: sessionmaker[Session],
    actor: Actor,
    cipher: PiiCipher,
    *,
    chunk: int = 1_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Re-encrypt every value under an old key; returns the number of rows changed.

    Commits after each chunk (with one audit event per chunk). Raises ConfigError if a row's
    key is missing from the ring: add the old key back (after the new one) and run again."""
    total = 0
    for target in TARGETS:
        last_id: int | None = None  # where the walk of this table has got to
        while True:
            with session_factory() as session, session.begin():
                done, last_id = _rotate_chunk(session, actor, cipher, target, chunk, after_id=last_id)
            if not done:
                break
            total += done
            if progress:
                progress(done)
    return total


def _rotate_chunk(
    session: Session, actor: Actor, cipher: PiiCipher, target: Target, chunk: int, *, after_id: int | None
) -> tuple[int, int | None]:
    """Re-seal the next `chunk` due rows after `after_id`; returns how many, and the last id."""
    t = target.table
    columns = [t.c.id] + [t.c[name] for value in target.values for name in (value.ciphertext, value.key_id)]
    query = select(*columns).where(target.due(cipher.current_key_id)).order_by(t.c.id).limit(chunk)
    if after_id is not None:
        query = query.where(t.c.id > after_id)
    rows = session.execute(query).all()
    if not rows:
        return 0, after_id
    session.execute(_update_by_id(target), [_resealed(row, target.values, cipher) for row in rows])
    after = {"table": t.name, "rows": len(rows), "key_id": cipher.current_key_id}
    record_event(session, actor, "pii.rotate_keys", "pii", t.name, after=after)
    return len(rows), rows[-1][0]


def _update_by_id(target: Target) -> Any:  # an UPDATE run once per row
    t = target.table
    names = [name for value in target.values for name in (value.ciphertext, value.key_id)]
    return (
        update(t)
        .where(t.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}") for name in names})
    )


def _resealed(row: Sequence[Any], values: tuple[Sealed, ...], cipher: PiiCipher) -> dict[str, Any]:
    """Bind parameters for one row: every value under the current key (unchanged when absent)."""
    params: dict[str, Any] = {"row_id": row[0]}
    for position, value in enumerate(values):
        ciphertext, key_id = row[1 + 2 * position], row[2 + 2 * position]
        if ciphertext is not None and key_id is not None and key_id != cipher.current_key_id:
            sealed = cipher.seal(value.field, cipher.open(value.field, ciphertext, key_id))
            ciphertext, key_id = sealed.ciphertext, sealed.key_id
        params[f"new_{value.ciphertext}"], params[f"new_{value.key_id}"] = ciphertext, key_id
    return params
