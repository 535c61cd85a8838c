"""The ledger's hashes: one implementation, used by the writer and by the verifier.

Two hashes, both over `payments.chain.encode` (typed, length-prefixed, never a delimiter join):

- the **content hash** commits to what an entry says: kind, effective date, links, memo (as
  its canonical JSON text, exactly as stored) and its postings as (account code, amount) in
  line order. It excludes who recorded it and when, so a retry of the same request by another
  process compares equal (idempotency);
- the **entry hash** is the chain link: SHA-256 over the ledger domain tag, the sequence
  number, the previous entry's hash, and (content hash, recorded time, actor, idempotency key).

Hashing the content once and chaining its digest covers every stored field of an entry and
its postings while encoding the content only once per entry on write and on verify.

The bytes are exactly `encode((CONTENT_DOMAIN, kind, ..., postings))` and `link_hash(...)`;
they are assembled with `encode_items` so that values repeating from entry to entry (a kind,
a date, an account code, the batch's recorded time) are encoded once and remembered, and the
entry hash starts from a copy of the domain tag already hashed. Writing and verifying hash
every entry twice, so these two functions are the ledger's hottest Python. Tests hold the
two spellings equal.
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from payments.chain import encode, encode_items

CONTENT_DOMAIN = "payments/ledger/content/v1"
ENTRY_DOMAIN = "payments/ledger/entry/v1"
_CONTENT_TAG = encode(CONTENT_DOMAIN)
_ENTRY_START = hashlib.sha256(encode(ENTRY_DOMAIN))  # link_hash's first field, hashed once and copied
_NONE = encode(None)
_REMEMBERED = 4_096  # distinct repeating values kept; the memory is cleared beyond that
_leaves: dict[Any, bytes] = {}


def content_hash(
    *,
    kind: str,
    effective_date: date,
    reverses_seq: int | None,
    payout_ref: str | None,
    enrolment_ref: str | None,
    period: str | None,
    memo_json: str | None,
    postings: Sequence[tuple[str, int]],
) -> str:
    """Hex SHA-256 of an entry's content; postings are (account code, amount_vnd) in line order."""
    lines = encode_items([encode_items((_repeating(code), encode(amount))) for code, amount in postings])
    body = encode_items(
        (
            _CONTENT_TAG,
            _repeating(kind),
            _repeating(effective_date),
            _NONE if reverses_seq is None else encode(reverses_seq),
            _NONE if payout_ref is None else encode(payout_ref),
            _NONE if enrolment_ref is None else encode(enrolment_ref),
            _repeating(period),
            _NONE if memo_json is None else encode(memo_json),
            lines,
        )
    )
    return hashlib.sha256(body).hexdigest()


def entry_hash(
    seq: int, prev_hash: str, *, content_digest: str, recorded_at: datetime, actor: str, idempotency_key: str
) -> str:
    """The chain link of entry `seq`: what it says (by digest), when, by whom, under which key.

    Equal to `link_hash(ENTRY_DOMAIN, seq, prev_hash, (content_digest, recorded_at, actor,
    idempotency_key))`.
    """
    fields = encode_items(
        (encode(content_digest), _repeating(recorded_at), _repeating(actor), encode(idempotency_key))
    )
    digest = _ENTRY_START.copy()
    digest.update(b"".join((encode(seq), encode(prev_hash), fields)))
    return digest.hexdigest()


def _repeating(value: Any) -> bytes:
    """`encode(value)`, remembered: for values that recur across entries."""
    kind = type(value)
    if kind is str or kind is date or value is None:
        key: Any = value  # str, date and None never compare equal to one another
    elif kind is datetime and value.tzinfo is UTC:
        key = value  # equal instants in other zones encode differently: those are never shared
    else:
        return encode(value)  # anything else (only in a tampered row): encoded plainly
    encoded = _leaves.get(key)
    if encoded is None:
        if len(_leaves) >= _REMEMBERED:
            _leaves.clear()
        encoded = _leaves[key] = encode(value)
    return encoded
