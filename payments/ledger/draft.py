"""What a caller asks the ledger to record (EntryDraft) and what it recorded (PostedEntry).

Pure: no session. A draft that exists is balanced (two or more non-zero postings in integer
VND summing to zero), names valid accounts, and has a content hash for idempotency.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from payments.chain import canonical_json, canonical_json_object
from payments.errors import InvalidInput
from payments.ledger import hashing
from payments.ledger.accounts import parse_account_code

MAX_KEY_LENGTH = 200
MAX_REF_LENGTH = 80
MAX_AMOUNT_VND = 2**63 - 1  # BIGINT
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_JSON_SCALARS = (str, int, bool, type(None))
_EXACT_SCALARS = frozenset(_JSON_SCALARS)  # the common case, checked without isinstance


class EntryKind(StrEnum):
    ACCRUAL = "accrual"
    ARREARS = "arrears"
    PAYOUT_INITIATED = "payout_initiated"
    PAYOUT_SETTLED = "payout_settled"
    PAYOUT_RETURNED = "payout_returned"
    RECOVERY = "recovery"
    OFFSET = "offset"
    REVERSAL = "reversal"
    WRITE_OFF = "write_off"  # reconciliation: money a second finance user agreed to write off


Posting = tuple[str, int]


class MemoPart:
    """A memo value checked and rendered as canonical JSON ahead of time.

    Drafting checks a memo (no floats) and renders it, value by value; an accrual's
    explanation holds some forty values. The accrual works explanations out in a helper process
    (payments.entitlements.owing), which renders each there, so the posting process only
    splices the text in. Allowed as a value of a memo's top level only; the stored memo is
    exactly the canonical JSON of the memo with `value` in its place.
    """

    __slots__ = ("json",)

    def __init__(self, value: Any) -> None:
        if not _json_safe(value):
            raise InvalidInput("a memo value must be JSON without floats")
        self.json = canonical_json(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MemoPart) and other.json == self.json

    def __hash__(self) -> int:
        return hash(self.json)

    def __repr__(self) -> str:
        return f"MemoPart({self.json})"

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Sent from the helper process that rendered it: taken as rendered, not checked again.
        return _rendered, (self.json,)


def _rendered(text: str) -> MemoPart:
    part = MemoPart.__new__(MemoPart)
    part.json = text
    return part


@dataclass(frozen=True)
class EntryDraft:
    """An entry to post. Amounts are signed integer VND: debit positive, credit negative.

    `idempotency_key` is the caller's stable name for this fact (e.g.
    `accrual:2025-07:<enrolment>:base`): posting it twice records it once. `period` is a
    'YYYY-MM' month the entry belongs to; `memo` is a JSON object (strings, integers, booleans,
    lists, objects; no floats) explaining it. Only a `reversal` carries `reverses_seq`.
    Raises InvalidInput when any of this does not hold.
    """

    idempotency_key: str
    kind: str
    effective_date: date
    postings: tuple[Posting, ...]
    payout_ref: str | None = None
    enrolment_ref: str | None = None
    period: str | None = None
    memo: dict[str, Any] | None = None
    reverses_seq: int | None = None

    def __post_init__(self) -> None:
        _check_key(self.idempotency_key)
        object.__setattr__(self, "kind", _kind(self.kind, self.idempotency_key))
        object.__setattr__(self, "postings", _postings(self.postings, self.idempotency_key))
        _check_date(self.effective_date, self.idempotency_key)
        _check_links(self)
        if self.memo is not None and not _memo_safe(self.memo):
            raise InvalidInput(f"entry {self.idempotency_key!r}: memo must be a JSON object without floats")

    @property
    def content_hash(self) -> str:
        """Hex SHA-256 of the content (payments.ledger.hashing), computed once."""
        cached = self.__dict__.get("_content_hash")
        if cached is None:
            cached = self._hash_content()
            object.__setattr__(self, "_content_hash", cached)  # a cache beside the frozen fields
        return cached

    @property
    def memo_json(self) -> str | None:
        """The memo as stored and hashed: canonical JSON (sorted keys, no spaces, UTF-8)."""
        if self.memo is None:
            return None
        cached = self.__dict__.get("_memo_json")
        if cached is None:
            cached = _memo_text(self.memo)
            object.__setattr__(self, "_memo_json", cached)
        return cached

    def _hash_content(self) -> str:
        return hashing.content_hash(
            kind=self.kind,
            effective_date=self.effective_date,
            reverses_seq=self.reverses_seq,
            payout_ref=self.payout_ref,
            enrolment_ref=self.enrolment_ref,
            period=self.period,
            memo_json=self.memo_json,
            postings=self.postings,
        )

    @property
    def total_debit_vnd(self) -> int:
        return sum(amount for _, amount in self.postings if amount > 0)


@dataclass(frozen=True)
class PostedEntry:
    """An entry as the ledger recorded it: its place in the chain, its hashes and its content.

    `created` is False when the idempotency key was already recorded with the same content,
    so nothing was appended and this is the entry recorded then.
    """

    seq: int
    hash: str
    prev_hash: str
    content_hash: str
    kind: str
    effective_date: date
    recorded_at: datetime
    actor: str
    idempotency_key: str
    postings: tuple[Posting, ...]
    reverses_seq: int | None
    payout_ref: str | None
    enrolment_ref: str | None
    period: str | None
    memo: dict[str, Any] | None
    created: bool


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"an idempotency key must be a non-blank string of at most {MAX_KEY_LENGTH}")


_KIND_VALUES = {kind.value: kind.value for kind in EntryKind}  # a member hashes as its value


def _kind(kind: object, key: str) -> str:
    value = _KIND_VALUES.get(kind) if isinstance(kind, str) else None
    if value is not None:  # the common case, without constructing the enum (half a microsecond)
        return value
    if kind not in EntryKind._value2member_map_:
        known = ", ".join(EntryKind)
        raise InvalidInput(f"entry {key!r}: kind {kind!r} is not one of {known}")
    return EntryKind(str(kind)).value


def _postings(postings: object, key: str) -> tuple[Posting, ...]:
    lines = tuple(tuple(line) for line in postings)  # type: ignore[attr-defined]
    if len(lines) < 2:
        raise InvalidInput(f"entry {key!r} needs at least two postings")
    for line in lines:
        _check_posting(line, key)
    if sum(amount for _, amount in lines) != 0:
        raise InvalidInput(f"entry {key!r} does not balance: its postings sum to {sum(a for _, a in lines)}")
    return lines  # type: ignore[return-value]


def _check_posting(line: tuple[Any, ...], key: str) -> None:
    if len(line) != 2 or type(line[1]) is not int or line[1] == 0:
        raise InvalidInput(f"entry {key!r}: a posting is (account code, non-zero integer amount_vnd)")
    if abs(line[1]) > MAX_AMOUNT_VND:
        raise InvalidInput(f"entry {key!r}: {line[1]} VND does not fit a 64-bit amount")
    parse_account_code(line[0])


def _check_date(value: object, key: str) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"entry {key!r}: effective_date must be a date")


def _check_links(draft: EntryDraft) -> None:
    key = draft.idempotency_key
    for name in ("payout_ref", "enrolment_ref"):
        value = getattr(draft, name)
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= MAX_REF_LENGTH):
            raise InvalidInput(f"entry {key!r}: {name} must be a string of 1 to {MAX_REF_LENGTH} characters")
    if draft.period is not None and not (isinstance(draft.period, str) and _PERIOD.match(draft.period)):
        raise InvalidInput(f"entry {key!r}: period must look like 2025-07")
    reverses = draft.reverses_seq
    if (draft.kind == EntryKind.REVERSAL) != (reverses is not None):
        raise InvalidInput(f"entry {key!r}: a reversal, and only a reversal, names the entry it reverses")
    if reverses is not None and (type(reverses) is not int or reverses < 1):
        raise InvalidInput(f"entry {key!r}: reverses_seq must be a positive sequence number")


def _memo_safe(memo: Any) -> bool:
    """A JSON object (string keys) without floats, whose top-level values may be MemoParts."""
    if not isinstance(memo, dict) or not all(isinstance(key, str) for key in memo):
        return False
    return _json_safe([value for value in memo.values() if type(value) is not MemoPart])


def _memo_text(memo: dict[str, Any]) -> str:
    """`canonical_json` of the memo, with each MemoPart's rendering spliced in as it stands."""
    if not any(type(value) is MemoPart for value in memo.values()):
        return canonical_json(memo)
    rendered = {k: v.json if type(v) is MemoPart else canonical_json(v) for k, v in memo.items()}
    return canonical_json_object(rendered)


def _json_safe(value: Any) -> bool:
    """Only objects with string keys, lists, strings, integers, booleans and None: no floats.
    A loop over a stack rather than recursion: accrual memos hold a few hundred values each,
    and this runs once per entry drafted."""
    pending = [value]
    while pending:
        item = pending.pop()
        if type(item) in _EXACT_SCALARS:
            continue
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return False
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif not isinstance(item, _JSON_SCALARS):
            return False
    return True
