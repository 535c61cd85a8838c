"""Hash chains: one canonical encoding, shared by every writer and every verifier.

The encoding is length-prefixed and typed (never a delimiter join), so no two different
records can encode to the same bytes. Used by the audit log and the ledger, each with its
own domain tag so a hash from one chain can never be replayed in the other.
"""

import hashlib
import json
from datetime import date, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def encode(value: Any) -> bytes:  # noqa: PLR0911 - one branch per type is the clearest form
    """Canonical bytes for a value: a one-byte type tag, an 8-byte length, the payload."""
    if value is None:
        return b"N" + (0).to_bytes(8, "big")
    if isinstance(value, bool):
        return _framed(b"B", b"\x01" if value else b"\x00")
    if isinstance(value, int):
        return _framed(b"I", str(value).encode("ascii"))
    if isinstance(value, str):
        return _framed(b"S", value.encode("utf-8"))
    if isinstance(value, bytes):
        return _framed(b"Y", value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be hashed")
        return _framed(b"T", value.isoformat(timespec="microseconds").encode("ascii"))
    if isinstance(value, date):
        return _framed(b"D", value.isoformat().encode("ascii"))
    if isinstance(value, (list, tuple)):
        return _framed(b"L", b"".join(encode(item) for item in value))
    if isinstance(value, dict):
        return _framed(b"J", canonical_json(value).encode("utf-8"))
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


def _framed(tag: bytes, payload: bytes) -> bytes:
    return tag + len(payload).to_bytes(8, "big") + payload


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(domain: str, sequence: int, previous_hash: str, fields: tuple[Any, ...]) -> str:
    """SHA-256 over (domain tag, sequence, previous hash, canonical fields), hex encoded."""
    digest = hashlib.sha256()
    digest.update(encode(domain))
    digest.update(encode(sequence))
    digest.update(encode(previous_hash))
    digest.update(encode(fields))
    return digest.hexdigest()
