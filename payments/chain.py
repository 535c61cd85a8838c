"""Hash chains: one canonical encoding, shared by every writer and every verifier.

The encoding is length-prefixed and typed (never a delimiter join), so no two different
records can encode to the same bytes. Used by the audit log and the ledger, each with its
own domain tag so a hash from one chain can never be replayed in the other.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

GENESIS_HASH = "0" * 64
_NONE = b"N" + (0).to_bytes(8, "big")
_SHORT = 256  # payload lengths whose type-and-length headers are built once, below


def _headers(tag: bytes) -> tuple[bytes, ...]:
    # Building the 9-byte header took a third of encoding a short string; looking it up does not.
    return tuple(tag + size.to_bytes(8, "big") for size in range(_SHORT))


_STR, _INT, _LIST = _headers(b"S"), _headers(b"I"), _headers(b"L")


def encode(value: Any) -> bytes:
    """Canonical bytes for a value: a one-byte type tag, an 8-byte length, the payload."""
    # Fast path for the commonest exact types, same bytes as `_encode_any` (subclasses such
    # as enums take the general path). Writers and verifiers hash millions of these.
    kind = type(value)
    if kind is str:
        payload = value.encode("utf-8")
        size = len(payload)
        return (_STR[size] if size < _SHORT else b"S" + size.to_bytes(8, "big")) + payload
    if kind is int:
        payload = b"%d" % value  # the same ASCII digits as str(value), without a str in between
        size = len(payload)
        return (_INT[size] if size < _SHORT else b"I" + size.to_bytes(8, "big")) + payload
    if value is None:
        return _NONE
    if kind is tuple or kind is list:
        return encode_items([encode(item) for item in value])
    return _encode_any(value)


def _encode_any(value: Any) -> bytes:  # noqa: PLR0911 - one branch per type is the clearest form
    if value is None:
        return _NONE
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
        return encode_items([encode(item) for item in value])
    if isinstance(value, dict):
        return _framed(b"J", canonical_json(value).encode("utf-8"))
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


def encode_items(encoded: Iterable[bytes]) -> bytes:
    """The encoding of a list or tuple whose items are already encoded with `encode`.

    `encode_items([encode(a), encode(b)]) == encode((a, b))`: hot loops can reuse the bytes of
    items that repeat (a kind, a date, an account code) instead of encoding them again.
    """
    payload = b"".join(encoded)
    size = len(payload)
    return (_LIST[size] if size < _SHORT else b"L" + size.to_bytes(8, "big")) + payload


def _framed(tag: bytes, payload: bytes) -> bytes:
    return tag + len(payload).to_bytes(8, "big") + payload


def canonical_json(value: Any) -> str:
    """`json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, faster.

    `json.dumps` builds an encoder on every call, which costs twice the encoding of a small
    memo; the encoder here is built once. Without circular-reference tracking, a value that
    contains itself raises RecursionError rather than ValueError.
    """
    return "".join(_CANONICAL_JSON(value, 0))


def canonical_json_object(rendered: dict[str, str]) -> str:
    """`canonical_json` of an object whose values are already canonical JSON text: the same
    key order, escaping and separators, so a value rendered once can be spliced into many."""
    items = sorted(rendered.items(), key=_by_key)
    return "{" + ",".join(f"{encode_basestring(key)}:{text}" for key, text in items) + "}"


def _by_key(item: tuple[str, str]) -> str:
    return item[0]


def _json_encoder() -> Any:
    if c_make_encoder is None:  # no C accelerator: the pure-Python encoder gives the same text
        encoder = json.JSONEncoder(
            sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
        )
        return encoder.iterencode
    default = json.JSONEncoder().default  # the TypeError json.dumps raises for what it cannot encode
    return c_make_encoder(None, default, encode_basestring, None, ":", ",", True, False, True)


_CANONICAL_JSON = _json_encoder()


def link_hash(domain: str, sequence: int, previous_hash: str, fields: tuple[Any, ...]) -> str:
    """SHA-256 over (domain tag, sequence, previous hash, canonical fields), hex encoded."""
    return link_hash_encoded(domain, sequence, previous_hash, encode(fields))


def link_hash_encoded(domain: str, sequence: int, previous_hash: str, encoded_fields: bytes) -> str:
    """`link_hash` for fields already encoded (`encode(fields)`, or `encode_items` of them)."""
    digest = hashlib.sha256()
    digest.update(encode(domain))
    digest.update(encode(sequence))
    digest.update(encode(previous_hash))
    digest.update(encoded_fields)
    return digest.hexdigest()
