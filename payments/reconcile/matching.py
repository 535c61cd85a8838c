"""Matching confirmations to payouts, in passes. Pure: no session, no clock, no I/O.

1. Exact: the payout key (EndToEndId / OrgnlEndToEndId / wallet order id) with the same amount.
   The key with another amount is an AMOUNT_MISMATCH, never a match.
2. Secondary references (InstrId, the provider's transaction id, MT940's 16-character
   reference as a prefix of the key), only when exactly one candidate of the same amount fits;
   more than one is AMBIGUOUS.
3. One booking or status for a whole payment block: by its PmtInfId (or MsgId), the payouts
   known to be in it (rejected ones left out of a booking), whose sum must equal the booking
   and whose number the count it states, when it states one; or, for a debit with no usable
   reference, the one block whose control sum (and count) equals its own. A block whose
   payouts are not known moves nothing: it is an UNMATCHED_CONFIRMATION.
4. Suggestions only (`suggest`): same amount, sent within a window of the booking date, ranked
   by how alike the holder names are. A person confirms one; nothing is posted by this pass.
Anything else is an UNMATCHED_CONFIRMATION.
"""

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from typing import NamedTuple

from payments.exception_queue.raising import AMOUNT_MISMATCH
from payments.reconcile.lines import DEBIT, Line
from payments.text import fold_name

AMBIGUOUS = "AMBIGUOUS"
UNMATCHED = "UNMATCHED_CONFIRMATION"
FAILED_STATES = frozenset({"rejected", "returned"})
MIN_PREFIX = 8  # a shorter reference says too little to be a prefix of one key


class Candidate(NamedTuple):
    """A payout as matching sees it. (A tuple: one is made per payout a chunk names.)"""

    payout_id: int
    payout_key: str
    amount_vnd: int
    state: str
    provider_reference: str | None = None
    beneficiary_name: str = ""
    sent_on: date | None = None


class Match(NamedTuple):
    """A line and the payout(s) it confirms. (Tuples: a million of them are made per run.)"""

    line: Line
    payouts: tuple[Candidate, ...]
    match_pass: int


class Flag(NamedTuple):
    """A line that cannot be matched, and why; `candidates` are what came close."""

    line: Line
    kind: str
    candidates: tuple[Candidate, ...] = ()
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Suggestion:
    candidate: Candidate
    score: float  # 0..1, how alike the names are (0.5 when either name is unknown)


class CandidateIndex:
    """Payouts by key, by secondary reference, by key prefix, and payment blocks by PmtInfId.

    The database layer passes what it looked up for the lines it could not match by key
    (`references`, `prefixed`); without them the index derives both from the candidates
    themselves, on first need (convenient for small sets, costly for large ones).
    """

    def __init__(
        self,
        candidates: Iterable[Candidate],
        references: Mapping[str, Sequence[Candidate]] | None = None,
        groups: Mapping[str, Sequence[Candidate]] | None = None,
        prefixed: Mapping[str, Sequence[Candidate]] | None = None,
    ) -> None:
        self.by_key = {c.payout_key: c for c in candidates}
        self.groups = groups or {}
        self._references = references
        self._prefixed = prefixed
        self._sorted_keys: list[str] | None = None

    def by_reference(self, reference: str | None) -> Sequence[Candidate]:
        if not reference:
            return ()
        if self._references is None:
            derived: dict[str, list[Candidate]] = {}
            for c in self.by_key.values():
                if c.provider_reference:
                    derived.setdefault(c.provider_reference, []).append(c)
            self._references = derived
        return self._references.get(reference, ())

    def by_prefix(self, prefix: str | None) -> Sequence[Candidate]:
        if not prefix or len(prefix) < MIN_PREFIX:
            return ()
        if self._prefixed is not None:
            return self._prefixed.get(prefix, ())
        if self._sorted_keys is None:
            self._sorted_keys = sorted(self.by_key)
        keys = self._sorted_keys
        found, at = [], bisect.bisect_left(keys, prefix)
        while at < len(keys) and keys[at].startswith(prefix):
            found.append(self.by_key[keys[at]])
            at += 1
        return found


def match_lines(lines: Iterable[Line], index: CandidateIndex) -> list[Match | Flag]:
    """One result per line, in order: passes 1 to 3, else a Flag."""
    by_key = index.by_key
    found: list[Match | Flag] = []
    append, make = found.append, tuple.__new__  # the C constructor: a third of Match(...)'s cost
    for line in lines:  # pass 1 inlined: it decides nearly every line of a statement
        exact = by_key.get(line.end_to_end_id)  # type: ignore[arg-type]
        if exact is not None and (line.amount_vnd is None or line.amount_vnd == exact.amount_vnd):
            append(make(Match, (line, (exact,), 1)))
        else:
            append(match_line(line, index))
    return found


def match_line(line: Line, index: CandidateIndex) -> Match | Flag:
    exact = index.by_key.get(line.end_to_end_id) if line.end_to_end_id else None
    if exact is not None:
        if line.amount_vnd is None or line.amount_vnd == exact.amount_vnd:
            return Match(line, (exact,), 1)
        detail = f"amount {line.amount_vnd} VND, payout {exact.payout_key} is {exact.amount_vnd} VND"
        return Flag(line, AMOUNT_MISMATCH, (exact,), detail)
    found = _secondary(line, index) or _block(line, index)
    if found is not None:
        return found
    if line.is_batch and line.payment_info_id:
        detail = f"which payouts block {line.payment_info_id} holds is not known: nothing was moved"
        return Flag(line, UNMATCHED, (), detail)
    return Flag(line, UNMATCHED, (), "no payout fits")


def _secondary(line: Line, index: CandidateIndex) -> Match | Flag | None:
    found: dict[int, Candidate] = {}
    for reference in (line.instr_id, line.provider_tx_id):
        found.update((c.payout_id, c) for c in index.by_reference(reference))
    found.update((c.payout_id, c) for c in index.by_prefix(line.reference))
    if not found:
        return None
    fits = [c for c in found.values() if line.amount_vnd is None or c.amount_vnd == line.amount_vnd]
    if len(fits) == 1:
        return Match(line, (fits[0],), 2)
    if len(fits) > 1:
        return Flag(line, AMBIGUOUS, tuple(fits), f"{len(fits)} payouts fit its references and amount")
    if len(found) == 1:
        (only,) = found.values()
        detail = f"amount {line.amount_vnd} VND, payout {only.payout_key} is {only.amount_vnd} VND"
        return Flag(line, AMOUNT_MISMATCH, (only,), detail)
    return Flag(line, AMBIGUOUS, tuple(found.values()), "several payouts share its references")


def _block(line: Line, index: CandidateIndex) -> Match | Flag | None:
    members = index.groups.get(line.payment_info_id or "")
    if members is not None:
        live = tuple(m for m in members if m.state not in FAILED_STATES or not line.movement)
        total = sum(m.amount_vnd for m in live)
        if line.movement and line.amount_vnd != total:
            detail = (
                f"block {line.payment_info_id}: booked {line.amount_vnd} VND, its payouts total {total} VND"
            )
            return Flag(line, AMOUNT_MISMATCH, live, detail)
        if line.batch_count and line.batch_count != len(live):
            detail = (
                f"block {line.payment_info_id}: the report counts {line.batch_count} payments, "
                f"{len(live)} payouts are known in it: nothing was moved"
            )
            return Flag(line, AMBIGUOUS, live, detail)
        return Match(line, live, 3)
    if line.movement and line.direction == DEBIT and line.is_batch:
        by_sum = [g for g in index.groups.values() if _live_total(g) == line.amount_vnd and _counts(g, line)]
        if len(by_sum) == 1:
            return Match(line, tuple(m for m in by_sum[0] if m.state not in FAILED_STATES), 3)
    return None


def _live_total(group: Sequence[Candidate]) -> int:
    return sum(m.amount_vnd for m in group if m.state not in FAILED_STATES)


def _counts(group: Sequence[Candidate], line: Line) -> bool:
    """The booking states no count, or the block's live payouts are that many."""
    return not line.batch_count or line.batch_count == sum(m.state not in FAILED_STATES for m in group)


def suggest(
    line: Line, pool: Iterable[Candidate], *, window_days: int = 3, limit: int = 5
) -> list[Suggestion]:
    """Pass 4: payouts of the same amount sent within `window_days` of the booking date,
    best name first. Suggestions only: a person confirms one."""
    found = []
    for candidate in pool:
        if candidate.amount_vnd != line.amount_vnd:
            continue
        dates = line.booking_date, candidate.sent_on
        if dates[0] and dates[1] and abs((dates[0] - dates[1]).days) > window_days:
            continue
        found.append(Suggestion(candidate, name_likeness(line.holder_name, candidate.beneficiary_name)))
    found.sort(key=lambda s: (-s.score, s.candidate.payout_id))
    return found[:limit]


def name_likeness(reported: str | None, ours: str) -> float:
    """0..1 after folding both names (upper case, no diacritics); 0.5 when either is unknown."""
    if not reported or not ours:
        return 0.5
    return round(SequenceMatcher(None, fold_name(reported), fold_name(ours)).ratio(), 3)
