"""The jobs the scheduler runs. Each is safe to run twice, commits its own work, returns counts.

Features add their jobs here as they land (build batches, dispatch approved batches, poll
in-doubt payouts, reconcile, age payouts).
"""

from collections.abc import Mapping
from typing import Any

from payments.audit.services import verify_chain
from payments.context import Actor
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.errors import PaymentsError
from payments.scheduling.runs import JobContext

SCHEDULER = Actor(username="scheduler", role="system")


def verify_audit_chain(context: JobContext) -> Mapping[str, Any]:
    """Recompute the audit chain; a broken chain fails the run loudly."""
    with context.session_factory() as session:
        result = verify_chain(session)
    if not result.ok:
        raise PaymentsError(f"audit chain broken at seq {result.first_bad_seq}: {result.problem}")
    return {"events": result.events}


def accrue_current_month(context: JobContext) -> Mapping[str, Any]:
    """Accrue this month (UTC) and bring changed earlier months up to date."""
    with context.session_factory() as session:
        rates = load_rate_set(session, context.settings.province_code)
    period = Period.of(context.clock().date())
    summary = accrue(context.session_factory, period, rates, actor=SCHEDULER, clock=context.clock)
    if summary.problems:
        raise PaymentsError(f"{len(summary.problems)} enrolment(s) could not be accrued for {period}")
    return {k: v for k, v in summary.as_dict().items() if isinstance(v, int)}


JOBS = {
    "verify_audit": verify_audit_chain,
    "accrue": accrue_current_month,
}
