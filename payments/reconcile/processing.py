"""Reconcile one chunk of staged lines: find candidates, match (pure), decide, record.

Each payout move is decided by `disbursements.outcomes.outcome_move`, so a payout reaches the
same state with the same entry whichever way the news arrives; entries are keyed by payout
(`settle:<key>`, `return:<key>`), so running a chunk again posts nothing new, and exceptions
are keyed by fingerprint. What a chunk decides is written at its end (`chunk.Chunk.write`).
The caller owns the transaction.
"""

from datetime import date, datetime

from sqlalchemy.orm import Session

from payments.adapters.vocabulary import PayoutStatus
from payments.clock import Clock, local_date
from payments.context import Actor
from payments.disbursements.outbox import PayoutMove
from payments.disbursements.outcomes import outcome_move
from payments.errors import RuleViolation
from payments.exception_queue.raising import STATUS_CONFLICT
from payments.reconcile import payout_queries
from payments.reconcile.chunk import Chunk, HeldPayout, Tally
from payments.reconcile.decisions import decide
from payments.reconcile.exceptions import Problem
from payments.reconcile.lines import REJECTED, RETURNED, Line
from payments.reconcile.matching import (
    MIN_PREFIX,
    UNMATCHED,
    Candidate,
    CandidateIndex,
    Flag,
    Match,
    match_lines,
    suggest,
)

DEFAULT_REASON = "MS03"  # reason not specified
_STATUS = {status.value: status for status in PayoutStatus}  # PayoutStatus(value) costs 0.5 µs a line


def reconcile_lines(
    session: Session,
    lines: list[tuple[int, Line]],
    *,
    adapter: str,
    import_id: int | None,
    actor: Actor,
    clock: Clock,
    tally: Tally,
) -> None:
    """Match and apply `lines` ((line id, Line), in file order); post their entries."""
    chunk = Chunk(session, adapter, import_id, actor, clock, tally)
    index = _index(chunk, [line for _, line in lines])
    chunk.booked = payout_queries.booked_movements(session, chunk.payouts)
    results = match_lines((line for _, line in lines), index)
    flagged: list[tuple[int, Flag]] = []
    for (line_id, _), result in zip(lines, results, strict=True):
        if isinstance(result, Match):
            _apply_match(chunk, line_id, result)
        else:
            flagged.append((line_id, result))
    _raise_flags(chunk, flagged)
    tally.posted += chunk.write()
    tally.lines += len(lines)


def _index(chunk: Chunk, lines: list[Line]) -> CandidateIndex:
    """Candidates for pass 1 by key; for the rest, by reference, key prefix and block: only
    payouts sent through the chunk's adapter (`payout_queries`)."""
    session, adapter = chunk.session, chunk.adapter
    keys = (ln.end_to_end_id for ln in lines if ln.end_to_end_id)
    chunk.hold(payout_queries.payouts_by_key(session, keys, adapter=adapter))
    known = {p.payout_key for p in chunk.payouts.values()}
    rest = [ln for ln in lines if ln.end_to_end_id not in known]
    wanted = {r for ln in rest for r in (ln.instr_id, ln.provider_tx_id) if r}
    references: dict[str, list[Candidate]] = {}
    for payout in chunk.hold(payout_queries.payouts_by_reference(session, wanted, adapter=adapter)):
        references.setdefault(payout.provider_reference or "", []).append(_candidate(payout))
    prefixed, groups = _prefixed(chunk, rest), _groups(chunk, rest)
    candidates = [_candidate(p) for p in chunk.payouts.values()]
    return CandidateIndex(candidates, references=references, groups=groups, prefixed=prefixed)


def _prefixed(chunk: Chunk, rest: list[Line]) -> dict[str, list[Candidate]]:
    """Payouts whose key starts with a line's reference (MT940 keeps 16 characters of it)."""
    prefixed: dict[str, list[Candidate]] = {}
    for line in rest:
        prefix = line.reference
        if prefix and len(prefix) >= MIN_PREFIX:
            found = payout_queries.payouts_by_prefix(
                chunk.session, prefix, line.amount_vnd, adapter=chunk.adapter
            )
            matches = chunk.hold(found)
            known = {c.payout_id for c in prefixed.get(prefix, [])}
            prefixed.setdefault(prefix, []).extend(_candidate(p) for p in matches if p.id not in known)
    return prefixed


def _groups(chunk: Chunk, rest: list[Line]) -> dict[str, list[Candidate]]:
    """Payment blocks the lines name, and (for a batch booking) every block still open, each
    with the payouts known to be in it; a block whose payouts nobody knows is left out (its
    lines become exceptions)."""
    blocks = {ln.payment_info_id for ln in rest if ln.is_batch and ln.payment_info_id}
    if any(ln.is_batch and ln.movement for ln in rest):
        blocks.update(payout_queries.open_blocks(chunk.session, chunk.adapter))
    groups = {}
    for block in blocks:
        members = chunk.hold(payout_queries.block_members(chunk.session, chunk.adapter, block))
        if members:
            groups[block] = [_candidate(p) for p in members]
    return groups


def _candidate(payout: HeldPayout, sent_at: datetime | None = None) -> Candidate:
    """`sent_at` matters only to suggestions (pass 4); reading it for every payout would cost."""
    return Candidate(
        payout_id=payout.id,
        payout_key=payout.payout_key,
        amount_vnd=payout.amount_vnd,
        state=payout.state,
        provider_reference=payout.provider_reference,
        beneficiary_name=payout.beneficiary_name,
        sent_on=local_date(sent_at) if sent_at is not None else None,
    )


def _apply_match(chunk: Chunk, line_id: int, match: Match) -> None:
    line = match.line
    for candidate in match.payouts:
        payout = chunk.payouts[candidate.payout_id]
        outcome = apply_line(chunk, line_id, line, payout, match_pass=match.match_pass)
        chunk.tally.outcome(outcome, payout.amount_vnd)


def apply_line(chunk: Chunk, line_id: int, line: Line, payout: HeldPayout, *, match_pass: int) -> str:
    """Decide and apply what `line` means for `payout`; returns the outcome's name."""
    booked_key = (payout.id, line.direction)
    decision = decide(payout.state, line, booked_before=_booked_before(chunk, booked_key, line))
    outcome = decision.outcome
    if decision.apply is not None:
        try:
            _move(chunk, line, payout, decision.apply)
        except RuleViolation as exc:
            outcome = "conflict"
            _problem(chunk, STATUS_CONFLICT, line_id, line, payout, detail=str(exc.detail))
    if decision.exception is not None:
        _problem(
            chunk,
            decision.exception,
            line_id,
            line,
            payout,
            detail=_explain(decision.exception, line, payout),
        )
    if line.movement:
        chunk.booked.setdefault(booked_key, set()).add((chunk.import_id, line.account_servicer_ref))
    chunk.matches.append((line_id, payout.id, match_pass, outcome, line.movement, line.direction))
    return outcome


def _booked_before(chunk: Chunk, key: tuple[int, str | None], line: Line) -> bool:
    """Another booking of this money for this payout. The same bank reference in another
    import is the same booking reported twice (a camt.054 notification, then the day's
    camt.053): not a duplicate. In one import it is two payments: the transactions of one
    entry all carry the entry's reference when they have none of their own."""
    earlier = chunk.booked.get(key)
    if not line.movement or not earlier:
        return False
    reference = line.account_servicer_ref
    return any(
        reference is None or ref != reference or import_id == chunk.import_id for import_id, ref in earlier
    )


def _move(chunk: Chunk, line: Line, payout: HeldPayout, status: str) -> None:
    """Move `payout` as `status` says, in the chunk's copy and its moves, with its entry.
    Raises RuleViolation for a move its state does not allow."""
    reason = (line.reason or DEFAULT_REASON) if status in (REJECTED, RETURNED) else None
    reference = line.provider_tx_id or line.instr_id if not payout.provider_reference else None
    day = line.booking_date or local_date(chunk.clock())
    move = outcome_move(
        payout, payout.adapter, _STATUS[status], reason=reason, reason_text=line.reason_text,
        reference=reference, day=day,
    )  # fmt: skip
    if move is None:
        return
    new_reference = move.provider_reference if move.provider_reference != payout.provider_reference else None
    chunk.moves.append(
        PayoutMove(payout.id, payout.state, move.state, move.reason_code, move.reason_text, new_reference)
    )
    payout.state, payout.reason_code, payout.reason_text = move.state, move.reason_code, move.reason_text
    payout.provider_reference = move.provider_reference
    if move.entry is not None:
        chunk.drafts.append(move.entry)


def _explain(kind: str, line: Line, payout: HeldPayout) -> str:
    where = f"line {line.line_no}" if line.line_no else f"item {line.position}"
    return {
        "DUPLICATE_CONFIRMATION": f"{where} books payout {payout.payout_key} a second time",
        "RETURNED_AFTER_SETTLEMENT": f"payout {payout.payout_key} came back after settling ({line.reason})",
        STATUS_CONFLICT: f"{where} says {line.status} but payout {payout.payout_key} is {payout.state}",
    }.get(kind, kind)


def _problem(
    chunk: Chunk, kind: str, line_id: int | None, line: Line, payout: HeldPayout | None, *, detail: str
) -> None:
    suffix = f":{payout.id}" if payout is not None else ""
    problem = Problem(
        kind=kind, fingerprint=f"{kind}:line:{line_id}{suffix}", adapter=chunk.adapter, detail=detail,
        payout_id=payout.id if payout else None, line_id=line_id, import_id=chunk.import_id,
        amount_vnd=line.amount_vnd if line.amount_vnd is not None else payout.amount_vnd if payout else None,
        data=_line_data(line),
    )  # fmt: skip
    chunk.problems.append(problem)


def _raise_flags(chunk: Chunk, flagged: list[tuple[int, Flag]]) -> None:
    """Pass 4 for unmatched movements: suggestions stored with the exception. A line naming a
    payout another adapter sent says so: it is never applied to that payout."""
    amounts = [f.line.amount_vnd for _, f in flagged if f.kind == UNMATCHED and f.line.amount_vnd]
    found = payout_queries.suggestion_pool(chunk.session, amounts, adapter=chunk.adapter) if amounts else []
    pool = [_candidate(HeldPayout.of(row), sent_at=row.updated_at) for row in found]
    elsewhere = _sent_elsewhere(chunk, [f.line for _, f in flagged if f.kind == UNMATCHED])
    for line_id, flag in flagged:
        chunk.problems.append(_flag_problem(chunk, line_id, flag, pool, elsewhere))
        chunk.tally.outcome("exception", flag.line.amount_vnd)


def _flag_problem(
    chunk: Chunk, line_id: int, flag: Flag, pool: list[Candidate], elsewhere: dict[str, tuple[str, str]]
) -> Problem:
    extra: dict = {"candidates": [_brief(c) for c in flag.candidates]}
    if flag.kind == UNMATCHED and flag.line.amount_vnd:
        extra["suggestions"] = [{**_brief(s.candidate), "score": s.score} for s in suggest(flag.line, pool)]
    other = _named_elsewhere(flag.line, elsewhere) if flag.kind == UNMATCHED else None
    if other is not None:
        key, adapter = other
        extra["other_adapter"] = {"payout_key": key, "adapter": adapter}
        flag = flag._replace(
            detail=f"it names payout {key}, a payout of another adapter ({adapter}): not applied"
        )
    return Problem(
        kind=flag.kind, fingerprint=f"{flag.kind}:line:{line_id}", adapter=chunk.adapter,
        detail=_flag_detail(flag), line_id=line_id, import_id=chunk.import_id,
        payout_id=flag.candidates[0].payout_id if len(flag.candidates) == 1 else None,
        amount_vnd=flag.line.amount_vnd, data={**_line_data(flag.line), **extra},
    )  # fmt: skip


def _sent_elsewhere(chunk: Chunk, lines: list[Line]) -> dict[str, tuple[str, str]]:
    """{key or provider reference: (payout key, adapter)} of other adapters' payouts the lines name."""
    keys = [ln.end_to_end_id for ln in lines if ln.end_to_end_id]
    references = [r for ln in lines for r in (ln.instr_id, ln.provider_tx_id) if r]
    found: dict[str, tuple[str, str]] = {}
    for key, reference, adapter in payout_queries.other_adapters_payouts(
        chunk.session, chunk.adapter, keys, references
    ):
        found.setdefault(key, (key, adapter))
        if reference:
            found.setdefault(reference, (key, adapter))
    return found


def _named_elsewhere(line: Line, elsewhere: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    for reference in (line.end_to_end_id, line.instr_id, line.provider_tx_id):
        if reference and reference in elsewhere:
            return elsewhere[reference]
    return None


def _flag_detail(flag: Flag) -> str:
    line = flag.line
    where = f"line {line.line_no}" if line.line_no else f"item {line.position}"
    what = f"{line.direction or line.status} {line.amount_vnd or ''} VND".strip()
    reference = line.end_to_end_id or line.reference or line.payment_info_id or line.provider_tx_id or "-"
    said = f" ({line.reason_text})" if flag.kind == UNMATCHED and line.reason_text else ""
    return f"{where}: {what} ref {reference}: {flag.detail}{said}"


def _brief(candidate: Candidate) -> dict:
    return {
        "payout_id": candidate.payout_id,
        "payout_key": candidate.payout_key,
        "amount_vnd": candidate.amount_vnd,
    }


def _line_data(line: Line) -> dict:
    day = line.booking_date.isoformat() if isinstance(line.booking_date, date) else None
    return {
        "status": line.status, "direction": line.direction, "booking_date": day,
        "end_to_end_id": line.end_to_end_id, "reference": line.reference,
        "payment_info_id": line.payment_info_id, "reason": line.reason, "line_no": line.line_no,
    }  # fmt: skip
