"""The one write path: appending drafts to the chain in bulk, under the ledger writer lock.

Used by `post_entry` (a chunk of one) and `post_entries` (chunks of thousands). Per chunk it
issues a fixed number of statements whatever the chunk size: look up the keys already
posted, look up (and create) the accounts, insert all postings, then insert all entry rows
(which seals them, see model.py). The changes to the cached balances are gathered per
account and written in one statement when the post is done (`flush_balances`), so an account
moved in several chunks of one post has its balance row written once. No ORM objects are
built, and rows go to the driver as tuples (see payments/driver.py).
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from payments.chain import GENESIS_HASH
from payments.context import Actor
from payments.db import serialize_writers
from payments.driver import Driver
from payments.errors import Conflict
from payments.ledger.accounts import parse_account_code
from payments.ledger.draft import EntryDraft, PostedEntry
from payments.ledger.hashing import entry_hash

LEDGER_LOCK = "ledger"
ENTRY_COLUMNS = (
    "seq",
    "prev_hash",
    "hash",
    "kind",
    "effective_date",
    "recorded_at",
    "actor",
    "idempotency_key",
    "content_hash",
    "reverses_seq",
    "payout_ref",
    "enrolment_ref",
    "period",
    "memo",
)
POSTING_COLUMNS = ("entry_seq", "line", "account_id", "amount_vnd")
_CACHE_LIMIT = 200_000  # account ids kept between chunks; cleared beyond, to bound memory
_PENDING_LIMIT = 100_000  # accounts whose balance changes wait for one write; written beyond


class ChainWriter:
    """Holds the writer lock for the rest of the transaction and the chain head while writing."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        recorded_at: datetime,
        *,
        cache_limit: int = _CACHE_LIMIT,
        pending_limit: int = _PENDING_LIMIT,
    ) -> None:
        serialize_writers(session, LEDGER_LOCK)
        self.session = session
        self.db = Driver(session)
        self.actor = actor.username
        self.recorded_at = recorded_at
        head = self.db.fetch("SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")
        self.seq, self.hash = head[0] if head else (0, GENESIS_HASH)
        self.posted = 0
        self.skipped = 0
        self.links: dict[int, tuple[str, str]] = {}  # seq -> (prev hash, hash), last chunk only
        self._account_ids: dict[str, int] = {}
        self._cache_limit = cache_limit
        self._pending: dict[int, list[int]] = {}  # account id -> [balance change, last seq moving it]
        self._pending_limit = pending_limit

    def write(self, drafts: Sequence[EntryDraft]) -> list[int]:
        """Append the drafts not yet recorded and update the cached balances; return each seq.

        A key already recorded with the same content is skipped (its existing seq returned);
        with different content it raises Conflict naming the key.
        """
        seqs = self.append(drafts)
        self.flush_balances()
        return seqs

    def append(self, drafts: Sequence[EntryDraft]) -> list[int]:
        """`write`, except that the balance changes may wait for `flush_balances`.

        For bulk posts: call `flush_balances` before anything reads the balances.
        """
        seqs, fresh = self._triage(drafts)
        if fresh:
            ids = self._ids_for({code for draft in fresh for code, _ in draft.postings})
            self._append(fresh, ids)
        self.skipped += len(drafts) - len(fresh)
        if len(self._pending) >= self._pending_limit:
            self.flush_balances()
        return [seqs[draft.idempotency_key] for draft in drafts]

    def flush_balances(self) -> None:
        """Write the pending balance changes: each account's sum and the last entry that moved it."""
        if self._pending:
            pending = self._pending
            add_to_balances(self.db, [(i, pending[i][0], pending[i][1]) for i in sorted(pending)])
            self._pending = {}

    def _triage(self, drafts: Sequence[EntryDraft]) -> tuple[dict[str, int], list[EntryDraft]]:
        keys = sorted({d.idempotency_key for d in drafts})
        sql = "SELECT idempotency_key, seq, content_hash FROM ledger_entries WHERE idempotency_key {in_}"
        recorded = {key: (seq, digest) for key, seq, digest in self.db.fetch_in(sql, keys)}
        seqs: dict[str, int] = {}
        digests: dict[str, str] = {}
        fresh = []
        for draft in drafts:
            key = draft.idempotency_key
            known = recorded.get(key) or ((seqs[key], digests[key]) if key in seqs else None)
            if known is None:
                fresh.append(draft)
                seqs[key] = self.seq + len(fresh)
                digests[key] = draft.content_hash
            elif known[1] != draft.content_hash:
                raise Conflict(
                    f"idempotency key {key!r} was already used for different content (entry {known[0]})",
                    idempotency_key=key,
                    seq=known[0],
                )
            else:
                seqs[key] = known[0]
        return seqs, fresh

    def _append(self, drafts: list[EntryDraft], ids: dict[str, int]) -> None:
        entries, postings = self._rows(drafts, ids)
        # Postings first, then the entry rows that seal them (the database checks the balance).
        self.db.insert("ledger_postings", POSTING_COLUMNS, postings)
        self.db.insert("ledger_entries", ENTRY_COLUMNS, entries)
        self.seq, self.hash = entries[-1][0], entries[-1][2]
        self.posted += len(drafts)

    def _rows(
        self, drafts: list[EntryDraft], ids: dict[str, int]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[int, int, int, int]]]:
        """Entry rows (hash-chained from the head) and posting rows; balance changes go to pending."""
        entries: list[tuple[Any, ...]] = []
        postings: list[tuple[int, int, int, int]] = []
        pending = self._pending
        seq, prev, actor, recorded = self.seq, self.hash, self.actor, self.recorded_at
        stored_recorded, stored_date = self.db.stored_datetime(recorded), self.db.stored_date
        self.links = {}
        for draft in drafts:
            seq += 1
            key, digest = draft.idempotency_key, draft.content_hash
            link = entry_hash(
                seq, prev, content_digest=digest, recorded_at=recorded, actor=actor, idempotency_key=key
            )
            entries.append(
                (
                    seq,
                    prev,
                    link,
                    draft.kind,
                    stored_date(draft.effective_date),
                    stored_recorded,
                    actor,
                    key,
                    digest,
                    draft.reverses_seq,
                    draft.payout_ref,
                    draft.enrolment_ref,
                    draft.period,
                    draft.memo_json,
                )
            )  # one row, in ENTRY_COLUMNS order
            for line, (code, amount) in enumerate(draft.postings, 1):
                account_id = ids[code]
                postings.append((seq, line, account_id, amount))
                change = pending.get(account_id)
                if change is None:
                    pending[account_id] = [amount, seq]
                else:
                    change[0] += amount
                    change[1] = seq
            self.links[seq] = (prev, link)
            prev = link
        return entries, postings

    def _ids_for(self, codes: set[str]) -> dict[str, int]:
        if len(self._account_ids) + len(codes) > self._cache_limit:
            self._account_ids.clear()  # before looking for what is missing, so nothing goes astray
        missing = [code for code in codes if code not in self._account_ids]
        if missing:
            sql = "SELECT code, id FROM ledger_accounts WHERE code {in_}"
            found = dict(self.db.fetch_in(sql, sorted(missing)))
            self._account_ids.update(found)
            self._account_ids.update(self._create_accounts(sorted(c for c in missing if c not in found)))
        return {code: self._account_ids[code] for code in codes}

    def _create_accounts(self, codes: list[str]) -> dict[str, int]:
        if not codes:
            return {}
        ids = dict(zip(codes, self.db.new_ids("ledger_accounts", len(codes)), strict=True))
        created = self.db.stored_datetime(self.recorded_at)
        rows = [(ids[code], code, *_type_and_owner(code), created) for code in codes]
        self.db.insert("ledger_accounts", ("id", "code", "type", "owner_ref", "created_at"), rows)
        return ids


def add_to_balances(db: Driver, changes: list[tuple[int, int, int]]) -> None:
    """Add (account id, delta, last seq) changes to the cached balances, in one statement.

    An account without a balance row gets one. Rows are written (and, on PostgreSQL,
    locked) in account-id order: one global lock order, so concurrent lockers cannot
    deadlock. `changes` must be sorted by account id.
    """
    if not db.postgres:
        db.execute_many(
            "INSERT INTO ledger_balances (account_id, balance_vnd, last_seq) VALUES (?, ?, ?)"
            " ON CONFLICT (account_id) DO UPDATE"
            " SET balance_vnd = balance_vnd + excluded.balance_vnd, last_seq = excluded.last_seq",
            changes,
        )
        return
    ids, deltas, seqs = (list(column) for column in zip(*changes, strict=True))
    db.run(
        "INSERT INTO ledger_balances AS b (account_id, balance_vnd, last_seq)"
        " SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) ORDER BY 1"
        " ON CONFLICT (account_id) DO UPDATE"
        " SET balance_vnd = b.balance_vnd + excluded.balance_vnd, last_seq = excluded.last_seq",
        (ids, deltas, seqs),
    )


def posted_entry(writer: ChainWriter, draft: EntryDraft, seq: int) -> PostedEntry:
    """The entry this writer just appended for `draft` at `seq`, as a value."""
    prev, link = writer.links[seq]
    return PostedEntry(
        seq=seq,
        hash=link,
        prev_hash=prev,
        content_hash=draft.content_hash,
        kind=draft.kind,
        effective_date=draft.effective_date,
        recorded_at=writer.recorded_at,
        actor=writer.actor,
        idempotency_key=draft.idempotency_key,
        postings=draft.postings,
        reverses_seq=draft.reverses_seq,
        payout_ref=draft.payout_ref,
        enrolment_ref=draft.enrolment_ref,
        period=draft.period,
        memo=None if draft.memo_json is None else json.loads(draft.memo_json),
        created=True,
    )


def _type_and_owner(code: str) -> tuple[str, str]:
    account_type, owner = parse_account_code(code)
    return account_type.value, owner
