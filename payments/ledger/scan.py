"""Reading the chain back for verify: on the driver connection, a chunk of entries at a time.

Rows come back exactly as stored (the memo as its JSON text, dates as the driver gives them);
verify converts and checks them entry by entry, so one unreadable value is named, not fatal.
"""

from collections.abc import Iterator
from typing import Any, NamedTuple

from payments.driver import Driver

SCAN_CHUNK = 5_000
LAST_SEQ = 2**63 - 1  # no sequence number is higher (BIGINT)
_ENTRIES = (
    "SELECT seq, prev_hash, hash, kind, effective_date, recorded_at, actor, idempotency_key, content_hash,"
    " reverses_seq, payout_ref, enrolment_ref, period, CAST(memo AS TEXT)"
    " FROM ledger_entries WHERE seq > {m} AND seq <= {m} ORDER BY seq LIMIT {m}"
)
_POSTINGS = (
    "SELECT p.entry_seq, a.code, p.amount_vnd FROM ledger_postings p"
    " JOIN ledger_accounts a ON a.id = p.account_id"
    " WHERE p.entry_seq BETWEEN {m} AND {m} ORDER BY p.entry_seq, p.line"
)


class StoredEntry(NamedTuple):
    seq: int
    prev_hash: Any
    hash: Any
    kind: Any
    effective_date: Any  # as the driver returns it: text on SQLite
    recorded_at: Any
    actor: Any
    idempotency_key: Any
    content_hash: Any
    reverses_seq: Any
    payout_ref: Any
    enrolment_ref: Any
    period: Any
    memo_json: Any


EntryWithPostings = tuple[StoredEntry, list[tuple[str, int]]]
Chunk = list[EntryWithPostings]


def entry_chunks(
    driver: Driver, *, after: int = 0, through: int = LAST_SEQ, size: int = SCAN_CHUNK
) -> Iterator[Chunk]:
    """Entries after `after` through `through`, in sequence order, `size` at a time, each with
    its (account code, amount) postings."""
    entries, postings = _ENTRIES.format(m=driver.marker), _POSTINGS.format(m=driver.marker)
    while rows := driver.fetch(entries, (after, through, size)):
        lines = driver.fetch(postings, (rows[0][0], rows[-1][0]))
        yield list(_with_postings(rows, lines))
        after = rows[-1][0]


def _with_postings(rows: list[tuple[Any, ...]], lines: list[tuple[Any, ...]]) -> Iterator[EntryWithPostings]:
    """Pair each entry row with its postings: both lists are in sequence order, so one merge pass."""
    make, position, end = StoredEntry._make, 0, len(lines)
    for row in rows:
        seq, postings = row[0], []
        while position < end and lines[position][0] < seq:
            position += 1  # a posting whose entry is not in this chunk (only in a tampered ledger)
        while position < end and lines[position][0] == seq:
            postings.append(lines[position][1:])
            position += 1
        yield make(row), postings
