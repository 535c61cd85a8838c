"""Recording and verifying audit events.

`record_event` is called inside the transaction that makes the change, so the change and
its audit record commit or roll back together.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.audit.model import AuditEvent
from payments.chain import GENESIS_HASH, link_hash
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.db import serialize_writers

DOMAIN = "payments/audit/v1"
_VERIFY_CHUNK = 5_000


def record_event(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | int,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    clock: Clock = utcnow,
) -> AuditEvent:
    """Append one event to the chain. Personal data must be masked by the caller."""
    (event,) = record_events(
        session, actor, [EventSpec(action, target_type, target_id, before, after)], clock=clock
    )
    return event


class EventSpec(NamedTuple):
    """One event for `record_events`: what `record_event` takes besides the actor."""

    action: str
    target_type: str
    target_id: str | int
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def record_events(
    session: Session, actor: Actor, events: Sequence[EventSpec], *, clock: Clock = utcnow
) -> list[AuditEvent]:
    """Append events to the chain, in order, with one head read and one flush for all: a bulk
    step (a reconciliation chunk's exceptions) records hundreds at once. Personal data must be
    masked by the caller."""
    if not events:
        return []
    serialize_writers(session, "audit_events")
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    recorded = []
    for spec in events:
        seq += 1
        event = AuditEvent(
            seq=seq, occurred_at=clock(), actor=actor.username, actor_id=actor.user_id, role=actor.role,
            action=spec.action, target_type=spec.target_type, target_id=str(spec.target_id),
            summary={"before": spec.before, "after": spec.after}, request_id=actor.request_id,
            prev_hash=prev_hash,
        )  # fmt: skip
        event.hash = prev_hash = link_hash(DOMAIN, seq, prev_hash, event.chained_fields())
        recorded.append(event)
    session.add_all(recorded)
    session.flush()
    return recorded


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    events: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(session: Session, progress: Callable[[int], None] | None = None) -> AuditVerification:
    """Recompute every hash in order; report the first event that does not fit."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for event in _events_in_order(session):
        problem = _problem(event, expected_seq, prev_hash)
        if problem:
            return AuditVerification(False, count, event.seq, problem)
        expected_seq, prev_hash, count = event.seq + 1, event.hash, count + 1
        if progress and count % _VERIFY_CHUNK == 0:
            progress(count)
    return AuditVerification(True, count)


def _problem(event: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return f"sequence gap: expected {expected_seq}, found {event.seq}"
    if event.prev_hash != prev_hash:
        return "previous hash does not match the event before it"
    if link_hash(DOMAIN, event.seq, event.prev_hash, event.chained_fields()) != event.hash:
        return "content does not match its hash"
    return None


def _events_in_order(session: Session) -> Iterator[AuditEvent]:
    after = 0
    while True:
        chunk = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(_VERIFY_CHUNK)
        ).all()
        if not chunk:
            return
        yield from chunk
        after = chunk[-1].seq
        for event in chunk:  # bounded memory on long chains
            session.expunge(event)
