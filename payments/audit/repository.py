"""Audit queries."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.audit.model import AuditEvent


def search_events(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_seq: int = 0,
    limit: int = 50,
) -> list[AuditEvent]:
    """Events matching every given filter, oldest first, after a cursor position."""
    query = select(AuditEvent).where(AuditEvent.seq > after_seq)
    filters = {
        AuditEvent.actor: actor,
        AuditEvent.action: action,
        AuditEvent.target_type: target_type,
        AuditEvent.target_id: target_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return list(session.scalars(query.order_by(AuditEvent.seq).limit(limit)))
