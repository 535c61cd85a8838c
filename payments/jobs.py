"""The jobs the scheduler runs. Each is safe to run twice, commits its own work, returns counts.

Features add their jobs here as they land (build batches, dispatch approved batches, poll
in-doubt payouts, reconcile, age payouts).
"""

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from payments.audit.services import record_event, verify_chain
from payments.clock import local_date
from payments.context import Actor
from payments.disbursements.building import build_batches
from payments.disbursements.dispatch import dispatcher_for
from payments.disbursements.lease import LeaseHeld
from payments.disbursements.model import Batch
from payments.disbursements.routing import routing_for
from payments.disbursements.states import BatchState
from payments.disbursements.unclaimed import apply_unclaimed_cash_rule
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.errors import PaymentsError
from payments.ledger.checkpoints import create_checkpoint
from payments.reconcile.runs import age_payouts as flag_stale
from payments.reconcile.runs import fetch_statements, run_reconciliation
from payments.registry.crypto import PiiCipher
from payments.scheduling.runs import JobContext

log = logging.getLogger(__name__)
SCHEDULER = Actor(username="scheduler", role="system")
STATEMENT_LOOKBACK_DAYS = 3  # closed days whose statements the reconcile job fetches


def verify_audit_chain(context: JobContext) -> Mapping[str, Any]:
    """Recompute the audit chain; a broken chain fails the run loudly."""
    with context.session_factory() as session:
        result = verify_chain(session)
    if not result.ok:
        raise PaymentsError(f"audit chain broken at seq {result.first_bad_seq}: {result.problem}")
    return {"events": result.events}


def accrue_current_month(context: JobContext) -> Mapping[str, Any]:
    """Accrue this month (Vietnam's calendar) and bring changed earlier months up to date."""
    with context.session_factory() as session:
        rates = load_rate_set(session, context.settings.province_code)
    period = Period.of(local_date(context.clock()))
    summary = accrue(context.session_factory, period, rates, actor=SCHEDULER, clock=context.clock)
    if summary.problems:
        count = len(summary.problems)
        raise PaymentsError(
            f"{count} enrolment(s) could not be accrued for {period}: {_named(summary.problems)}"
        )
    return {k: v for k, v in summary.as_dict().items() if isinstance(v, int)}


def _named(problems: list[dict[str, Any]], shown: int = 5) -> str:
    """The first problems, each naming its enrolment and month, so the run says what to fix."""
    named = "; ".join(
        f"enrolment {p['enrolment_id']} ({p['period']}): {p['problem']}" for p in problems[:shown]
    )
    return named + (f"; and {len(problems) - shown} more" if len(problems) > shown else "")


def build_month_batches(context: JobContext) -> Mapping[str, Any]:
    """Draft batches for this month (officers still submit and approvers approve them)."""
    settings = context.settings
    adapters = _adapters(context)
    with context.session_factory() as session, session.begin():
        result = build_batches(
            session,
            str(Period.of(local_date(context.clock()))),
            routing_for(settings, adapters),
            PiiCipher.from_settings(settings),
            actor=SCHEDULER,
            hold_days=settings.instrument_change_hold_days,
            clock=context.clock,
        )
        return {"batches": len(result.batches), "held": len(result.holds)}


def dispatch_batches(context: JobContext) -> Mapping[str, Any]:
    """Send approved batches, and finish dispatching ones: in-doubt payouts are resolved by a
    status query, requeued ones resent with the same key. A batch another dispatcher holds is
    skipped this time (`busy`). A batch that cannot be dispatched (its manifest changed, its
    adapter is not configured, the provider's answers could not be recorded) is logged and
    audited, and the job goes on with the next one: one bad batch never holds up the others.
    The run then fails, naming each such batch and the counts, so that it shows in the job runs."""
    adapters = _adapters(context)
    counts = {"batches": 0, "sent": 0, "busy": 0}
    failures: list[str] = []
    for batch_id in _sendable_batches(context):
        try:
            dispatcher = dispatcher_for(context.session_factory, adapters, context.settings, batch_id)
            result = dispatcher.dispatch(batch_id)
        except LeaseHeld:
            counts["busy"] += 1
        except Exception as exc:  # recorded; the run fails once the other batches are sent
            failures.append(_dispatch_failed(context, batch_id, exc))
        else:
            counts["batches"] += 1
            counts["sent"] += result.sent
    if failures:
        done = ", ".join(f"{name} {count}" for name, count in counts.items())
        raise PaymentsError(
            f"{len(failures)} batch(es) could not be dispatched ({done}): {'; '.join(failures)}",
            failed=len(failures), **counts,
        )  # fmt: skip
    return counts


def _sendable_batches(context: JobContext) -> list[int]:
    with context.session_factory() as session:
        sendable = Batch.state.in_((BatchState.APPROVED, BatchState.DISPATCHING))
        return list(session.scalars(select(Batch.id).where(sendable).order_by(Batch.id)))


def _dispatch_failed(context: JobContext, batch_id: int, exc: Exception) -> str:
    """Log and audit why a batch could not be dispatched; the failure as the run reports it."""
    log.error("dispatch of batch %s failed", batch_id, exc_info=exc)
    failure = {"error": type(exc).__name__, "detail": str(exc)[:500]}
    with context.session_factory() as session, session.begin():
        record_event(
            session, SCHEDULER, "batch.dispatch_failed", "batch", batch_id, after=failure, clock=context.clock
        )
    return f"batch {batch_id}: {failure['error']}: {failure['detail']}"


def checkpoint_ledger(context: JobContext) -> Mapping[str, Any]:
    """Sign the ledger's head (a no-op when nothing was posted since the last checkpoint)."""
    settings = context.settings
    with context.session_factory() as session, session.begin():
        checkpoint = create_checkpoint(
            session, settings.load_signing_key(), settings.ledger_origin, actor=SCHEDULER, clock=context.clock
        )
        return {"size": checkpoint.size}


def reconcile(context: JobContext) -> Mapping[str, Any]:
    """Fetch the last few days' statements from adapters that offer them (days already
    imported are skipped), then reconcile everything staged. Safe to run twice."""
    # UTC's day is never later than Vietnam's: every day before it is closed at the provider.
    today = context.clock().date()
    days = [today - timedelta(days=n) for n in range(STATEMENT_LOOKBACK_DAYS, 0, -1)]
    fetched = fetch_statements(
        context.session_factory, _adapters(context), days, actor=SCHEDULER, clock=context.clock
    )
    report = run_reconciliation(context.session_factory, actor=SCHEDULER, clock=context.clock)
    exceptions = sum(figures["count"] for figures in report["exceptions"].values())
    return fetched | {"run": report["run"]["id"], "lines": report["lines"], "exceptions": exceptions}


def age_payouts(context: JobContext) -> Mapping[str, Any]:
    """UNCONFIRMED_PAYOUT for payouts in flight longer than PAYMENTS_UNCONFIRMED_PAYOUT_DAYS."""
    older_than = timedelta(days=context.settings.unconfirmed_payout_days)
    with context.session_factory() as session, session.begin():
        return {"raised": flag_stale(session, older_than=older_than, actor=SCHEDULER, clock=context.clock)}


def unclaimed_cash(context: JobContext) -> Mapping[str, Any]:
    """DOMAIN rule 5: suspend after months of uncollected cash, terminate months later."""
    months = context.settings.unclaimed_cash_months
    with context.session_factory() as session, session.begin():
        today, clock = local_date(context.clock()), context.clock
        result = apply_unclaimed_cash_rule(session, SCHEDULER, today=today, months=months, clock=clock)
        return result.as_dict()


def _adapters(context: JobContext) -> Mapping[str, Any]:
    from payments.app import build_adapters

    return build_adapters(context.settings, context.session_factory)


JOBS = {
    "verify_audit": verify_audit_chain,
    "accrue": accrue_current_month,
    "build_batches": build_month_batches,
    "dispatch": dispatch_batches,
    "checkpoint": checkpoint_ledger,
    "reconcile": reconcile,
    "age_payouts": age_payouts,
    "unclaimed_cash": unclaimed_cash,
}
