"""Recording job runs: every run is a row with its outcome and counts, listed by the API."""

import logging
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from payments.clock import Clock, utcnow
from payments.scheduling.model import JobRun

log = logging.getLogger(__name__)

JobFunction = Callable[[Session], Mapping[str, Any] | None]


def run_recorded(
    session_factory: sessionmaker[Session], job: str, holder: str, fn: JobFunction, *, clock: Clock = utcnow
) -> JobRun:
    """Run `fn` in its own transaction and record how it went in another.

    The run row is committed first, so a crash leaves a visible `running` row, and the
    job's own failure never loses the record of it.
    """
    with session_factory() as session, session.begin():
        run = JobRun(job=job, holder=holder, started_at=clock(), outcome="running", counts={})
        session.add(run)
    outcome, counts, error = _execute(session_factory, job, fn)
    with session_factory() as session, session.begin():
        run = session.get_one(JobRun, run.id)
        run.finished_at, run.outcome, run.counts, run.error = clock(), outcome, counts, error
    return run


def _execute(
    session_factory: sessionmaker[Session], job: str, fn: JobFunction
) -> tuple[str, dict[str, Any], str | None]:
    try:
        with session_factory() as session, session.begin():
            counts = dict(fn(session) or {})
    except Exception:  # a failed job is recorded and the scheduler keeps running
        log.exception("job %s failed", job)
        return "failed", {}, traceback.format_exc(limit=5)
    return "succeeded", counts, None


def recent_runs(session: Session, *, job: str | None = None, before_id: int | None = None, limit: int = 50):
    query = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRun.job == job)
    if before_id is not None:
        query = query.where(JobRun.id < before_id)
    return list(session.scalars(query))
