"""The jobs the scheduler runs. Each takes a session, is safe to run twice, returns counts.

Features add their jobs here as they land (accrue the month, build batches, dispatch
approved batches, poll in-doubt payouts, reconcile, checkpoint the ledger, age payouts).
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from payments.audit.services import verify_chain
from payments.errors import PaymentsError


def verify_audit_chain(session: Session) -> Mapping[str, Any]:
    """Recompute the audit chain; a broken chain fails the run loudly."""
    result = verify_chain(session)
    if not result.ok:
        raise PaymentsError(f"audit chain broken at seq {result.first_bad_seq}: {result.problem}")
    return {"events": result.events}


JOBS = {
    "verify_audit": verify_audit_chain,
}
