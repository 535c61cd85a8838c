"""A lease in the database so that only one scheduler acts when several run.

Acquiring is one atomic upsert: insert the lease, or take it over when it has expired or
is already ours. Both SQLite (3.35+) and PostgreSQL support INSERT .. ON CONFLICT .. RETURNING.
"""

from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from payments.clock import Clock, utcnow
from payments.db import dialect_name, table_of
from payments.scheduling.model import SchedulerLease

SCHEDULER_LEASE = "scheduler"


def acquire_lease(
    session: Session, holder: str, ttl: timedelta, *, name: str = SCHEDULER_LEASE, clock: Clock = utcnow
) -> bool:
    """Take or renew the lease for `ttl`. True if `holder` holds it afterwards. Commit is the caller's."""
    now = clock()
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    table = table_of(SchedulerLease)
    statement = (
        insert(table)
        .values(name=name, holder=holder, acquired_at=now, expires_at=now + ttl)
        .on_conflict_do_update(
            index_elements=[table.c.name],
            set_={"holder": holder, "acquired_at": now, "expires_at": now + ttl},
            where=or_(table.c.expires_at < now, table.c.holder == holder),
        )
        .returning(table.c.holder)
    )
    return session.execute(statement).scalar() == holder


def release_lease(
    session: Session, holder: str, *, name: str = SCHEDULER_LEASE, clock: Clock = utcnow
) -> None:
    """Let the lease expire now, if we hold it, so another scheduler can take over at once."""
    lease = session.get(SchedulerLease, name, with_for_update=True)
    if lease is not None and lease.holder == holder:
        lease.expires_at = clock()


def lease_holder(session: Session, *, name: str = SCHEDULER_LEASE) -> str | None:
    """Who holds or last held the lease (expired or not), for messages; None if nobody ever did."""
    lease = session.get(SchedulerLease, name)
    return lease.holder if lease is not None else None
