"""Signed checkpoints of the chain head, stored append-only and exportable for auditors.

A checkpoint says, under the ledger's Ed25519 key, "the chain had <size> entries ending in
<head hash>". Someone who can rewrite the database can recompute every hash, but cannot
sign; an exported file of checkpoints kept elsewhere also survives deletion of the rows.
"""

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.db import serialize_writers
from payments.ledger import notes, repository
from payments.ledger.model import Checkpoint
from payments.ledger.writer import LEDGER_LOCK

EXPORT_FORMAT = "payments-ledger-checkpoints/v1"


def create_checkpoint(
    session: Session,
    signing_key: Ed25519PrivateKey,
    origin: str,
    *,
    actor: Actor,
    clock: Clock = utcnow,
) -> Checkpoint:
    """Sign and store the current head (size, hash) under `origin`, which is also the key name.

    Safe to run twice: if the newest checkpoint already covers the head with this key, it is
    returned instead of a new one. Holds the ledger writer lock so the head cannot move while
    it is signed. Raises NoteError for an origin unusable as a key name.
    """
    serialize_writers(session, LEDGER_LOCK)
    size, head_hash = repository.head(session)
    key = notes.NoteKey(origin, signing_key.public_key())
    latest = repository.latest_checkpoint(session)
    if latest is not None and (latest.size, latest.key_id, latest.origin) == (size, key.key_id.hex(), origin):
        return latest
    body = notes.CheckpointBody(origin, size, head_hash)
    checkpoint = Checkpoint(
        origin=origin,
        size=size,
        head_hash=head_hash,
        key_name=origin,
        key_id=key.key_id.hex(),
        note=notes.sign(body, origin, signing_key),
        created_at=clock(),
        actor=actor.username,
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def public_key_document(origin: str, signing_key: Ed25519PrivateKey) -> dict[str, str]:
    """What auditors need to check checkpoints: the verifier key, in signed-note and PEM forms."""
    key = notes.NoteKey(origin, signing_key.public_key())
    pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "algorithm": "ed25519",
        "key_name": origin,
        "key_id": key.key_id.hex(),
        "vkey": key.vkey,
        "public_key_pem": pem.decode(),
    }


def export_checkpoints(session: Session, origin: str, signing_key: Ed25519PrivateKey) -> dict[str, Any]:
    """Every checkpoint with its signed note, and the verifier key, as one JSON-ready document."""
    return {
        "format": EXPORT_FORMAT,
        "vkey": notes.NoteKey(origin, signing_key.public_key()).vkey,
        "checkpoints": [
            {
                "id": c.id,
                "size": c.size,
                "head_hash": c.head_hash,
                "created_at": c.created_at.isoformat(),
                "note": c.note,
            }
            for c in repository.checkpoints(session)
        ],
    }


def notes_from_export(document: dict[str, Any]) -> list[str]:
    """The signed notes of an exported document, for `verify_ledger(..., external_notes=...)`."""
    if document.get("format") != EXPORT_FORMAT:
        raise notes.NoteError(f"not a {EXPORT_FORMAT} document")
    return [str(item["note"]) for item in document.get("checkpoints", [])]
