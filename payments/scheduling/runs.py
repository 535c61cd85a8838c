"""Recording job runs: every run is a row with its outcome and counts, listed by the API.

A firing the scheduler took but may not act on (its lease has gone to another) is recorded
too, as `skipped` with the reason, so that no firing disappears without a row.
"""

import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from payments.clock import Clock, utcnow
from payments.config import Settings
from payments.errors import PaymentsError
from payments.scheduling.lease import acquire_lease, lease_holder
from payments.scheduling.model import JobRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What a job gets: a way to open transactions (it commits its own work), settings, a clock."""

    session_factory: sessionmaker[Session]
    settings: Settings
    clock: Clock = utcnow


JobFunction = Callable[[JobContext], Mapping[str, Any] | None]


def run_recorded(context: JobContext, job: str, holder: str, fn: JobFunction) -> JobRun:
    """Run `fn` and record how it went, in transactions of its own.

    The run row is committed first, so a crash leaves a visible `running` row, and the
    job's own failure never loses the record of it.
    """
    session_factory, clock = context.session_factory, context.clock
    with session_factory() as session, session.begin():
        run = JobRun(job=job, holder=holder, started_at=clock(), outcome="running", counts={})
        session.add(run)
    outcome, counts, error = _execute(context, job, fn)
    with session_factory() as session, session.begin():
        run = session.get_one(JobRun, run.id)
        run.finished_at, run.outcome, run.counts, run.error = clock(), outcome, counts, error
    return run


def run_as_lease_holder(context: JobContext, job: str, holder: str, fn: JobFunction) -> JobRun:
    """Run `fn` recorded if `holder` holds the scheduler lease (renewing it), else record a skip.

    A scheduler only processes its jobs while it holds the lease, but it can lose the lease
    between taking a firing and running it (a pause longer than the lease, say): the firing
    is then recorded as skipped, with who holds the lease, rather than run by two schedulers.
    """
    ttl = timedelta(seconds=context.settings.scheduler_lease_seconds)
    with context.session_factory() as session, session.begin():
        held = acquire_lease(session, holder, ttl, clock=context.clock)
        current = None if held else lease_holder(session)
    if held:
        return run_recorded(context, job, holder, fn)
    reason = f"not run: the scheduler lease is held by {current}"
    log.warning("job %s skipped by scheduler %s: %s", job, holder, reason)
    return record_skipped(context, job, holder, reason)


def record_skipped(context: JobContext, job: str, holder: str, reason: str) -> JobRun:
    """Record a firing that was not run, and why (in `error`, the run's free-text field)."""
    now = context.clock()
    with context.session_factory() as session, session.begin():
        run = JobRun(job=job, holder=holder, started_at=now, finished_at=now, outcome="skipped")
        run.counts, run.error = {}, reason
        session.add(run)
    return run


def _execute(context: JobContext, job: str, fn: JobFunction) -> tuple[str, dict[str, Any], str | None]:
    try:
        counts = dict(fn(context) or {})
    except Exception as exc:  # a failed job is recorded and the scheduler keeps running
        log.exception("job %s failed", job)
        return "failed", _counts_of(exc), traceback.format_exc(limit=5)
    return "succeeded", counts, None


def recent_runs(session: Session, *, job: str | None = None, before_id: int | None = None, limit: int = 50):
    query = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRun.job == job)
    if before_id is not None:
        query = query.where(JobRun.id < before_id)
    return list(session.scalars(query))


def _counts_of(error: Exception) -> dict[str, Any]:
    """The counts a job that failed part-way reports with its error (PaymentsError extras)."""
    extra = error.extra if isinstance(error, PaymentsError) else {}
    return {name: value for name, value in extra.items() if isinstance(value, int)}
