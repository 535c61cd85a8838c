"""Key rotation: re-encrypt personal data under the current (first) PII key, in chunks.

Each chunk is its own transaction, so an interrupted rotation keeps what it finished and a
second run picks up the rows still under an old key (rows are found by their key id): the
rotation resumes by construction, and running it when nothing is left does nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from payments.audit.services import record_event
from payments.context import Actor
from payments.registry.crypto import PiiCipher
from payments.registry.model import Beneficiary, PaymentInstrument


@dataclass(frozen=True)
class Target:
    model: type[Beneficiary] | type[PaymentInstrument]
    fields: tuple[str, ...]

    def stale(self, key_id: str):  # type: ignore[no-untyped-def]
        columns = [getattr(self.model, f"{name}_key") for name in self.fields]
        return or_(*(column != key_id for column in columns))


TARGETS = (Target(Beneficiary, ("citizen_id", "legacy_id", "phone")), Target(PaymentInstrument, ("account",)))


def rows_to_rotate(session: Session, cipher: PiiCipher) -> int:
    """How many rows still hold a value under a key other than the current one."""
    return sum(
        session.scalar(select(func.count()).select_from(t.model).where(t.stale(cipher.current_key_id))) or 0
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
        while True:
            with session_factory() as session, session.begin():
                done = _rotate_chunk(session, actor, cipher, target, chunk)
            if not done:
                break
            total += done
            if progress:
                progress(done)
    return total


def _rotate_chunk(session: Session, actor: Actor, cipher: PiiCipher, target: Target, chunk: int) -> int:
    columns = [target.model.id]
    for name in target.fields:
        columns += [getattr(target.model, f"{name}_ct"), getattr(target.model, f"{name}_key")]
    query = select(*columns).where(target.stale(cipher.current_key_id)).order_by(target.model.id).limit(chunk)
    rows = session.execute(query).all()
    updates = [_resealed(row, target.fields, cipher) for row in rows]
    if updates:
        session.execute(update(target.model), updates)
        after = {"table": target.model.__tablename__, "rows": len(updates), "key_id": cipher.current_key_id}
        record_event(session, actor, "pii.rotate_keys", "pii", target.model.__tablename__, after=after)
    return len(updates)


def _resealed(row: tuple, fields: tuple[str, ...], cipher: PiiCipher) -> dict:  # type: ignore[type-arg]
    values: dict = {"id": row[0]}  # type: ignore[type-arg]
    for position, name in enumerate(fields):
        ciphertext, key_id = row[1 + 2 * position], row[2 + 2 * position]
        if ciphertext is None or key_id is None or key_id == cipher.current_key_id:
            continue
        sealed = cipher.seal(name, cipher.open(name, ciphertext, key_id))
        values[f"{name}_ct"], values[f"{name}_key"] = sealed.ciphertext, sealed.key_id
    return values
