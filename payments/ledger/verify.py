"""Verifying the ledger: recompute everything and name the first thing that does not fit.

Checks, in this order, stopping at the first problem:
1. the chain: sequence numbers 1..n without gaps, each previous hash, each entry's postings
   (two or more, summing to zero), its content hash and its entry hash (payments.ledger.hashing,
   the writer's own implementation);
2. the cached balances equal the sums of postings, account by account;
3. the checkpoints, stored and external: each signed by a trusted key, not shrinking, within
   the chain, and agreeing with the chain's hash at its size.
Reads in chunks of entries, so memory does not grow with the ledger.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from payments.aside import aside
from payments.chain import GENESIS_HASH
from payments.db import make_engine, make_session_factory, shareable_url
from payments.driver import Driver
from payments.errors import InvalidInput
from payments.ledger import notes, scan
from payments.ledger import repository as q
from payments.ledger.accounts import parse_account_code
from payments.ledger.hashing import content_hash, entry_hash
from payments.memory import collector_paused

ASIDE_FROM_ENTRIES = 200_000  # longer chains are checked in two halves at once (two processes)


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int  # entries that verified before the first problem (all of them when ok)
    checkpoints: int  # checkpoints that verified
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class _Finding:
    seq: int | None
    problem: str


def verify_ledger(
    session: Session,
    trusted_keys: Sequence[notes.NoteKey],
    *,
    external_notes: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Recompute the chain, the balances and the checkpoints; report the first problem.

    `trusted_keys` are the keys checkpoints must be signed by (usually the one from
    `Settings.load_signing_key()`); `external_notes` are signed checkpoint notes kept outside
    the database (an exported file), checked against the chain like the stored ones.
    """
    with collector_paused():  # the walk is a bounded loop of chunks; see payments.memory
        walked = _walk_chain(session, progress or _ignore)
    count, head, finding = walked.count, walked.head, walked.finding
    if finding is not None:
        return Verification(False, count, 0, head, finding.seq, finding.problem)
    finding = _posting_finding(session, count) or _account_finding(session) or _balance_finding(session)
    if finding is not None:
        return Verification(False, count, 0, head, finding.seq, finding.problem)
    checked, finding = _checkpoint_findings(session, list(trusted_keys), list(external_notes), count)
    if finding is not None:
        return Verification(False, count, checked, head, finding.seq, finding.problem)
    return Verification(True, count, checked, head)


@dataclass(frozen=True)
class _Walked:
    """Where a walk along the chain got to: entries verified, the last one's hash, the problem."""

    count: int
    head: str
    finding: _Finding | None


def _walk_chain(session: Session, progress: Callable[[int], None]) -> _Walked:
    """The whole chain; a long one in two halves at once, the second in a helper process.

    Each entry's hash covers the one before it, so the second half can be checked from the
    stored hash of the last entry of the first; that stored hash is itself checked by the first
    half. The first problem in chain order is reported, as a walk from the start would.
    """
    last, _ = q.head(session)
    url = shareable_url(session.get_bind())
    if last < ASIDE_FROM_ENTRIES or url is None:
        return _followed(_walk(Driver(session), after=0, prev=GENESIS_HASH), progress)
    middle = last // 2
    doing = "verifying the second half of the chain"
    with aside(second_half_walked, doing, url=url, after=middle, through=last) as second:
        first = _followed(_walk(Driver(session), after=0, prev=GENESIS_HASH, stop_after=middle), progress)
        if first.finding is not None:
            return first
        return _followed(second, progress)


def second_half_walked(*, url: str, after: int, through: int) -> Iterator[int | _Walked]:
    """The helper's work: entries `after`+1 through `through`, from the stored hash of `after`."""
    engine = make_engine(url, read_only=True)
    try:
        with make_session_factory(engine)() as session, collector_paused():
            anchor = q.hash_at(session, after) or GENESIS_HASH  # a missing one: the first half says so
            yield from _walk(Driver(session), after=after, prev=anchor, through=through)
    finally:
        engine.dispose()


def _followed(walk: Iterable[int | _Walked], progress: Callable[[int], None]) -> _Walked:
    for step in walk:
        if isinstance(step, _Walked):
            return step
        progress(step)
    raise AssertionError("a walk ends with where it got to")


def _walk(
    driver: Driver, *, after: int, prev: str, stop_after: int | None = None, through: int = scan.LAST_SEQ
) -> Iterator[int | _Walked]:
    """Check entries from `after`+1 on; yield how many each chunk checked, then where the walk
    got to. `stop_after` ends the walk once that entry is checked (the entry read after it is
    still compared, so a gap across it is found); `through` reads no further than that entry."""
    expected = after + 1
    for chunk in scan.entry_chunks(driver, after=after, through=through):
        first_of_chunk = expected
        for row, postings in chunk:
            finding = _entry_finding(driver, row, postings, expected, prev)
            if finding is not None:
                yield _Walked(expected - 1, prev, finding)
                return
            expected, prev = expected + 1, row.hash
            if expected - 1 == stop_after:
                break
        yield expected - first_of_chunk
        if expected - 1 == stop_after:
            break
    yield _Walked(expected - 1, prev, None)


def _ignore(_count: int) -> None:
    pass


def _entry_finding(
    driver: Driver, row: scan.StoredEntry, postings: list[tuple[str, int]], expected: int, prev: str
) -> _Finding | None:
    seq = row.seq
    if seq != expected:
        return _Finding(
            expected, f"entry {expected} is missing: the chain jumps from {expected - 1} to {seq}"
        )
    if row.prev_hash != prev:
        return _Finding(seq, f"entry {seq}: previous hash does not match the entry before it")
    total = 0
    for _, amount in postings:
        if type(amount) is not int:
            return _Finding(seq, f"entry {seq}: a posting amount is not an integer")
        total += amount
    if total != 0 or len(postings) < 2:
        return _Finding(seq, f"entry {seq}: postings do not balance (or fewer than two)")
    problem = _hash_problem(driver, row, postings, prev)
    return _Finding(seq, f"entry {seq}{problem}") if problem else None


def _hash_problem(driver: Driver, row: scan.StoredEntry, postings: list[tuple[str, int]], prev: str) -> str:
    """Recompute both hashes from the stored values (read back as the writer stored them)."""
    try:
        effective_date = driver.read_date(row.effective_date)
        recorded_at = driver.read_datetime(row.recorded_at)
    except (ValueError, TypeError) as exc:
        return f" cannot be read: {exc}"
    digest = content_hash(
        kind=row.kind,
        effective_date=effective_date,
        reverses_seq=row.reverses_seq,
        payout_ref=row.payout_ref,
        enrolment_ref=row.enrolment_ref,
        period=row.period,
        memo_json=row.memo_json,
        postings=postings,
    )
    if digest != row.content_hash:
        return ": content does not match its content hash"
    link = entry_hash(
        row.seq, prev, content_digest=digest, recorded_at=recorded_at, actor=row.actor,
        idempotency_key=row.idempotency_key,
    )  # fmt: skip
    return "" if link == row.hash else ": hash does not match the entry"


def _posting_finding(session: Session, size: int) -> _Finding | None:
    """A posting outside the chain: it moves a balance no hash covers."""
    seq = q.first_posting_outside(session, size)
    if seq is None:
        return None
    return _Finding(seq, f"a posting names entry {seq}, which is not in the chain (1 to {size})")


def _account_finding(session: Session) -> _Finding | None:
    """An account whose stored type or owner is not what its code says. The hashes cover the
    code only, and batches are built from the owner: a changed owner would pay someone else."""
    for code, stored_type, owner in q.account_identities(session):
        try:
            account_type, expected = parse_account_code(code)
        except InvalidInput as exc:
            return _Finding(None, f"account {code!r} has no valid code: {exc.detail}")
        if (stored_type, owner) != (account_type.value, expected):
            return _Finding(
                None,
                f"account {code} is stored as type {stored_type!r}, owner {owner!r};"
                f" its code says {account_type.value!r}, {expected!r}",
            )
    return None


def _balance_finding(session: Session) -> _Finding | None:
    mismatch = q.first_cached_balance_mismatch(session)
    if mismatch is None:
        return None
    code, cached, summed = mismatch
    return _Finding(None, f"cached balance of {code} is {cached}, its postings sum to {summed}")


def _checkpoint_findings(
    session: Session, keys: list[notes.NoteKey], external: list[str], size: int
) -> tuple[int, _Finding | None]:
    checked, previous = 0, 0
    for label, note, row in _all_notes(session, external):
        try:
            body = notes.open_note(note, keys)
        except notes.NoteError as exc:
            return checked, _Finding(None, f"{label}: {exc}")
        finding = _note_finding(session, label, body, row, previous=previous, size=size)
        if finding is not None:
            return checked, finding
        checked, previous = checked + 1, body.size
    return checked, None


def _all_notes(session: Session, external: list[str]) -> Iterable[tuple[str, str, Any]]:
    for checkpoint in q.checkpoints(session):
        yield f"checkpoint #{checkpoint.id}", checkpoint.note, checkpoint
    for number, note in enumerate(external, 1):
        yield f"external checkpoint {number}", note, None


def _note_finding(
    session: Session, label: str, body: notes.CheckpointBody, row: Any, *, previous: int, size: int
) -> _Finding | None:
    if row is not None and (row.origin, row.size, row.head_hash) != (body.origin, body.size, body.head_hash):
        return _Finding(None, f"{label}: the stored row does not match its signed note")
    if row is not None and body.size < previous:
        return _Finding(
            body.size, f"{label} (size {body.size}) does not extend the previous one ({previous})"
        )
    if body.size > size:
        return _Finding(size + 1, f"{label} covers {body.size} entries but the chain has {size}")
    actual = q.hash_at(session, body.size) if body.size else GENESIS_HASH
    if actual != body.head_hash:
        return _Finding(body.size, f"{label}: the chain at size {body.size} differs from the signed head")
    return None
