"""Typed reconciliation exceptions and the finance workflow around them.

An exception is never deleted: its state moves open -> (pending_approval) -> resolved, and
every change is appended to `recon_exception_events` and to the audit log. Raising is
idempotent by fingerprint (the same problem found twice is one exception); it lives in
`payments.exception_queue.raising`, below this package, since the dispatcher raises too.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.errors import Conflict, InvalidInput, NotFound, RuleViolation
from payments.exception_queue.raising import (  # noqa: F401 - reconciliation raises through these names
    KINDS,
    Problem,
    raise_exception,
    raise_exceptions,
)
from payments.reconcile.model import ReconException, ReconExceptionEvent
from payments.reconcile.writeoffs import post_write_off

STATES = ("open", "pending_approval", "resolved")
ACTIONS = ("confirm_suggestion", "mark_returned", "write_off", "acknowledge")


def get_exception(session: Session, exception_id: int) -> ReconException:
    found = session.get(ReconException, exception_id)
    if found is None:
        raise NotFound(f"reconciliation exception {exception_id} does not exist", exception_id=exception_id)
    return found


def list_exceptions(
    session: Session,
    *,
    kind: str | None = None,
    state: str | None = None,
    adapter: str | None = None,
    assignee: str | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[ReconException]:
    query = select(ReconException).where(ReconException.id > after_id).order_by(ReconException.id)
    for column, value in (("kind", kind), ("state", state), ("adapter", adapter), ("assignee", assignee)):
        if value is not None:
            query = query.where(getattr(ReconException, column) == value)
    return list(session.scalars(query.limit(limit)))


def history(session: Session, exception_id: int) -> list[ReconExceptionEvent]:
    query = select(ReconExceptionEvent).where(ReconExceptionEvent.exception_id == exception_id)
    return list(session.scalars(query.order_by(ReconExceptionEvent.id)))


def assign(
    session: Session, actor: Actor, exception_id: int, assignee: str, *, clock: Clock = utcnow
) -> ReconException:
    """Give an open exception to a finance user. Raises NotFound, Conflict when resolved."""
    row = _unresolved(session, exception_id)
    before = {"assignee": row.assignee}
    row.assignee, row.updated_at = assignee, clock()
    data = {"assignee": assignee, "before": before}
    _event(session, row, actor, "assigned", note=None, data=data, clock=clock)
    return row


def resolve(
    session: Session,
    actor: Actor,
    exception_id: int,
    *,
    action: str,
    reason: str,
    apply: Callable[[ReconException], dict[str, Any]] | None = None,
    clock: Clock = utcnow,
) -> ReconException:
    """Close an exception with a reason and an action. `apply` performs the action's ledger
    side (confirm a suggestion, mark returned) in the same transaction, or checks a write-off
    can be made. A write-off only becomes pending: a second finance user's approval posts it.
    Raises Conflict when resolved."""
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}")
    if not reason.strip():
        raise InvalidInput("a resolution needs a reason")
    row = _unresolved(session, exception_id)
    if row.state == "pending_approval":
        raise Conflict(f"exception {exception_id} awaits a second user's approval of its write-off")
    done = apply(row) if apply is not None else {}
    row.resolution, row.resolution_reason, row.updated_at = action, reason, clock()
    if action == "write_off":
        row.state, row.proposed_by = "pending_approval", actor.username
        _event(session, row, actor, "write_off_proposed", note=reason, data=done, clock=clock)
        return row
    row.state, row.resolved_by = "resolved", actor.username
    _event(session, row, actor, "resolved", note=reason, data={"action": action, **done}, clock=clock)
    return row


def approve_write_off(
    session: Session, actor: Actor, exception_id: int, *, reason: str, clock: Clock = utcnow
) -> ReconException:
    """The second finance user's approval, which posts the write-off (`writeoffs`) in the
    caller's transaction. Raises RuleViolation for the proposer themselves or when the class
    is not written off, Conflict when nothing awaits approval (approving twice posts once)."""
    row = get_exception(session, exception_id)
    if row.state != "pending_approval":
        raise Conflict(f"exception {exception_id} has no write-off awaiting approval", state=row.state)
    if row.proposed_by == actor.username:
        raise RuleViolation("a write-off needs a second finance user: you proposed it")
    posted = post_write_off(session, actor, row, clock=clock)
    row.state, row.resolved_by, row.updated_at = "resolved", actor.username, clock()
    done = {"proposed_by": row.proposed_by, **posted}
    _event(session, row, actor, "write_off_approved", note=reason, data=done, clock=clock)
    return row


def _unresolved(session: Session, exception_id: int) -> ReconException:
    row = get_exception(session, exception_id)
    if row.state == "resolved":
        raise Conflict(f"exception {exception_id} is already resolved", state=row.state)
    return row


def _event(
    session: Session,
    row: ReconException,
    actor: Actor,
    action: str,
    *,
    note: str | None,
    data: dict[str, Any] | None,
    clock: Clock,
) -> None:
    session.add(
        ReconExceptionEvent(
            exception_id=row.id, action=action, actor=actor.username, note=note, data=data, at=clock()
        )
    )
    after = {"kind": row.kind, "state": row.state, "action": action, "assignee": row.assignee}
    record_event(
        session, actor, f"reconcile.exception.{action}", "recon_exception", row.id, after=after, clock=clock
    )
