"""Raising an exception for finance staff: idempotent by fingerprint (the same problem found
twice is one exception), with its `raised` event and audit record, in the caller's transaction.

Reconciliation raises what statements, callbacks and ageing find; the dispatcher raises what
a provider's answers say that cannot be taken as they stand (`disbursements.answer_problems`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from payments.audit.services import EventSpec, record_events
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.db import table_of
from payments.errors import InvalidInput
from payments.exception_queue.model import ReconException, ReconExceptionEvent

# The kinds both dispatch and reconciliation raise or read, named once.
AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
STATUS_CONFLICT = "STATUS_CONFLICT"
BALANCE_BREAK = "BALANCE_BREAK"
# A provider's send or status answer that contradicts the state other news already gave a
# payout (settled, then the send said rejected); the payout keeps that state.
CONTRADICTED_ANSWER = "CONTRADICTED_ANSWER"
KINDS = (
    "UNMATCHED_CONFIRMATION",
    "UNCONFIRMED_PAYOUT",
    AMOUNT_MISMATCH,
    "DUPLICATE_CONFIRMATION",
    "AMBIGUOUS",
    "RETURNED_AFTER_SETTLEMENT",
    STATUS_CONFLICT,
    BALANCE_BREAK,
    CONTRADICTED_ANSWER,
)
IN_LIMIT = 5_000  # fingerprints in one IN list: well under SQLite's and PostgreSQL's limits


@dataclass(frozen=True)
class Problem:
    """An exception to raise: what, where, and what a person needs to decide."""

    kind: str
    fingerprint: str
    adapter: str
    detail: str
    payout_id: int | None = None
    line_id: int | None = None
    import_id: int | None = None
    amount_vnd: int | None = None
    data: dict[str, Any] | None = None


def raise_exception(session: Session, problem: Problem, *, actor: Actor, clock: Clock = utcnow) -> bool:
    """Record `problem` unless its fingerprint is already recorded. True if it is new."""
    return bool(raise_exceptions(session, [problem], actor=actor, clock=clock))


def raise_exceptions(
    session: Session, problems: Sequence[Problem], *, actor: Actor, clock: Clock = utcnow
) -> list[Problem]:
    """Record each problem whose fingerprint is not recorded yet (nor earlier in `problems`),
    with its `raised` event and audit record; returns those it recorded. Raises InvalidInput
    for a class not in KINDS.

    A chunk of a large statement raises hundreds at once: one query finds the fingerprints
    already known and the rows are inserted together, not an object and a flush each."""
    unknown = sorted({p.kind for p in problems} - set(KINDS))
    if unknown:
        raise InvalidInput(f"unknown exception class {unknown[0]!r}")
    fresh = _not_yet_raised(session, problems)
    if not fresh:
        return []
    now = clock()
    table = table_of(ReconException)
    rows = [
        {"kind": p.kind, "state": "open", "fingerprint": p.fingerprint, "adapter": p.adapter,
         "payout_id": p.payout_id, "line_id": p.line_id, "import_id": p.import_id,
         "amount_vnd": p.amount_vnd, "detail": p.detail[:500], "data": p.data or {},
         "created_at": now, "updated_at": now}
        for p in fresh
    ]  # fmt: skip
    inserted = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    ids = list(inserted.scalars())
    session.execute(
        insert(table_of(ReconExceptionEvent)),
        [{"exception_id": i, "action": "raised", "actor": actor.username, "note": p.detail, "data": None,
          "at": now} for i, p in zip(ids, fresh, strict=True)],
    )  # fmt: skip
    audited = [
        EventSpec("reconcile.exception.raised", "recon_exception", exception_id,
                  after={"kind": problem.kind, "state": "open", "action": "raised", "assignee": None})
        for exception_id, problem in zip(ids, fresh, strict=True)
    ]  # fmt: skip
    record_events(session, actor, audited, clock=clock)
    return fresh


def _not_yet_raised(session: Session, problems: Sequence[Problem]) -> list[Problem]:
    """`problems` whose fingerprint is neither recorded nor earlier in `problems`."""
    seen = known_fingerprints(session, [p.fingerprint for p in problems])
    fresh = []
    for problem in problems:
        if problem.fingerprint not in seen:
            seen.add(problem.fingerprint)
            fresh.append(problem)
    return fresh


def known_fingerprints(session: Session, fingerprints: Sequence[str]) -> set[str]:
    """Which of `fingerprints` are already recorded as exceptions."""
    wanted, found = sorted(set(fingerprints)), set[str]()
    for start in range(0, len(wanted), IN_LIMIT):
        part = wanted[start : start + IN_LIMIT]
        query = select(ReconException.fingerprint).where(ReconException.fingerprint.in_(part))
        found.update(session.scalars(query))
    return found
