"""The dispatch lease: one dispatcher acts on a batch at a time.

The lease is two columns of the batch row (who holds it, and until when), taken by one guarded
UPDATE when it is free, expired or already this holder's. A dispatcher takes it again with
every chunk it claims and gives it up when it finishes or fails; one that lost it records
nothing more, and the new holder asks the provider about whatever was left in `sending`.
"""

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.orm import Session

from payments.clock import Clock
from payments.disbursements.model import Batch
from payments.errors import Conflict


class LeaseHeld(Conflict):
    """Another dispatcher holds the batch's lease: it is busy, not failing; try again later."""


def take_lease(session: Session, batch_id: int, holder: str, lease: timedelta, clock: Clock) -> bool:
    """True when `holder` now holds the batch's dispatch lease for `lease` from now: it was free,
    expired, or already `holder`'s (taking it again extends it). False when another holds it."""
    now = clock()
    taken = session.execute(
        update(Batch)
        .where(
            Batch.id == batch_id,
            or_(
                Batch.dispatch_holder.is_(None),
                Batch.dispatch_expires_at < now,
                Batch.dispatch_holder == holder,
            ),
        )
        .values(dispatch_holder=holder, dispatch_expires_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], taken).rowcount == 1


def give_up_lease(session: Session, batch_id: int, holder: str) -> None:
    """If `holder` still holds the lease, it no longer does."""
    session.execute(
        update(Batch)
        .where(Batch.id == batch_id, Batch.dispatch_holder == holder)
        .values(dispatch_holder=None, dispatch_expires_at=None)
        .execution_options(synchronize_session=False)
    )
