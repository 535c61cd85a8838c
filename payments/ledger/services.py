"""The ledger's public API: what entitlements, disbursements and reconciliation call.

Every function takes the caller's session and never commits: the entries become durable
with the caller's transaction, together with whatever else it changed. Amounts are signed
integer VND (debit positive, credit negative). Writers take the ledger writer lock
(`serialize_writers(session, "ledger")`) for the rest of the transaction, so keep posting
transactions short.

    post_entry(session, draft, *, actor, clock=utcnow) -> PostedEntry
    post_entries(session, drafts, *, actor, clock=utcnow, chunk_size=5000, progress=None) -> PostResult
    reverse_entry(session, seq, *, effective_date, reason, actor, idempotency_key=None, clock=utcnow)
        -> PostedEntry
    recorded_entry(session, seq) -> PostedEntry
    balance(session, account_code, *, as_of_date=None, as_of_seq=None) -> int
    balances(session, account_codes) -> dict[str, int]
"""

from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date
from itertools import islice

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.db import serialize_writers
from payments.errors import Conflict, InvalidInput, NotFound
from payments.ledger import repository
from payments.ledger.accounts import parse_account_code
from payments.ledger.draft import EntryDraft, EntryKind, PostedEntry
from payments.ledger.model import Entry
from payments.ledger.writer import LEDGER_LOCK, ChainWriter, posted_entry
from payments.memory import collector_paused

DEFAULT_CHUNK = 5_000


@dataclass(frozen=True)
class PostResult:
    """What a bulk post did: entries appended, drafts skipped as already posted, the new head."""

    posted: int
    skipped: int
    first_seq: int | None  # the first entry appended by this call, None if nothing was new
    head_seq: int


def post_entry(session: Session, draft: EntryDraft, *, actor: Actor, clock: Clock = utcnow) -> PostedEntry:
    """Append one entry and return it as recorded.

    Idempotent on `draft.idempotency_key`: the same key with the same content returns the
    entry already recorded (nothing is appended); with different content raises Conflict
    naming the key. Accounts are created on first use. The database refuses an unbalanced
    entry, so a draft (which checks itself) is the only way in. Holds the ledger writer lock
    until the caller's transaction ends.
    """
    writer = ChainWriter(session, actor, clock().astimezone(UTC))
    (seq,) = writer.write([draft])
    if not writer.posted:
        return recorded_entry(session, seq)  # recorded before, found by its key
    return posted_entry(writer, draft, seq)


def post_entries(
    session: Session,
    drafts: Iterable[EntryDraft],
    *,
    actor: Actor,
    clock: Clock = utcnow,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> PostResult:
    """Append many entries in one transaction, `chunk_size` drafts at a time.

    `drafts` may be a generator: memory is bounded by the chunk, not the run. Drafts whose key
    is already recorded with equal content are skipped and counted, so re-running an accrual
    posts nothing; a key reused with different content raises Conflict and, as the caller's
    transaction rolls back, nothing of the call is kept. `progress(n)` is called after each chunk.
    """
    if chunk_size < 1:
        raise InvalidInput("chunk_size must be at least 1")
    writer = ChainWriter(session, actor, clock().astimezone(UTC))
    start = writer.seq
    iterator = iter(drafts)
    try:
        while chunk := list(islice(iterator, chunk_size)):
            with collector_paused():
                writer.append(chunk)
            if progress is not None:
                progress(len(chunk))
    except Exception:
        # The chunks already appended stay in the transaction: a caller that handles the error
        # and commits must find their balances written. A failed transaction refuses this too.
        with suppress(DBAPIError):
            writer.flush_balances()
        raise
    writer.flush_balances()
    first = start + 1 if writer.posted else None
    return PostResult(posted=writer.posted, skipped=writer.skipped, first_seq=first, head_seq=writer.seq)


def reverse_entry(
    session: Session,
    seq: int,
    *,
    effective_date: date,
    reason: str,
    actor: Actor,
    idempotency_key: str | None = None,
    clock: Clock = utcnow,
) -> PostedEntry:
    """Post the entry that undoes entry `seq`: the same accounts, amounts negated, linked to it.

    The key defaults to `reversal:<seq>`, so a retry returns the reversal already posted.
    Raises NotFound for an unknown entry and Conflict if it was already reversed under
    another key (an entry is reversed at most once; the database holds that too).
    """
    serialize_writers(session, LEDGER_LOCK)
    original = repository.get_entry(session, seq)
    if original is None:
        raise NotFound(f"ledger entry {seq} does not exist", seq=seq)
    key = idempotency_key or f"reversal:{seq}"
    existing = repository.reversal_of(session, seq)
    if existing is not None and existing.idempotency_key != key:
        raise Conflict(f"entry {seq} was already reversed by entry {existing.seq}", reversed_by=existing.seq)
    draft = EntryDraft(
        idempotency_key=key,
        kind=EntryKind.REVERSAL,
        effective_date=effective_date,
        postings=tuple((p.account_code, -p.amount_vnd) for p in original.postings),
        payout_ref=original.payout_ref,
        enrolment_ref=original.enrolment_ref,
        period=original.period,
        memo={"reason": reason, "reverses": seq},
        reverses_seq=seq,
    )
    return post_entry(session, draft, actor=actor, clock=clock)


def balance(
    session: Session, account_code: str, *, as_of_date: date | None = None, as_of_seq: int | None = None
) -> int:
    """Balance of an account in VND (debit positive): cached, or as of a date and/or sequence.

    With neither bound it reads the cached balance; with `as_of_seq` it sums postings of entries
    up to that sequence number; with `as_of_date`, of entries effective on or before that date.
    An account never posted to holds 0. Raises InvalidInput for a malformed code or bound.
    """
    parse_account_code(account_code)
    if as_of_seq is not None and (type(as_of_seq) is not int or as_of_seq < 0):
        raise InvalidInput("as_of_seq must be a non-negative sequence number")
    account = repository.find_account(session, account_code)
    if account is None:
        return 0
    if as_of_date is None and as_of_seq is None:
        return repository.cached_balances(session, [account_code]).get(account_code, 0)
    return repository.summed_balance(session, account.id, as_of_date, as_of_seq)


def balances(session: Session, account_codes: Iterable[str]) -> dict[str, int]:
    """Cached balances of many accounts at once; accounts never posted to map to 0."""
    codes = list(account_codes)
    for code in codes:
        parse_account_code(code)
    found = repository.cached_balances(session, codes)
    return {code: found.get(code, 0) for code in codes}


def recorded_entry(session: Session, seq: int) -> PostedEntry:
    """Entry `seq` as a PostedEntry (with `created=False`). Raises NotFound."""
    entry = repository.get_entry(session, seq)
    if entry is None:
        raise NotFound(f"ledger entry {seq} does not exist", seq=seq)
    columns = {column.key: getattr(entry, column.key) for column in Entry.__table__.columns}
    postings = tuple((posting.account_code, posting.amount_vnd) for posting in entry.postings)
    return PostedEntry(**columns, postings=postings, created=False)
