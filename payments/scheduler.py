"""The scheduler process: APScheduler 3 with its SQLAlchemy job store, behind a lease.

Several schedulers may run (one per machine, say); each job first takes or renews the lease
in the database and does nothing unless it holds it, so only one scheduler acts at a time.
Every job is safe to run twice, and every run is recorded in `job_runs`.
"""

import logging
import os
import socket
import uuid
from collections.abc import Mapping
from datetime import timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import MetaData

from payments.app import Runtime
from payments.errors import ConfigError
from payments.jobs import JOBS
from payments.scheduling.lease import acquire_lease
from payments.scheduling.runs import JobContext, run_recorded

log = logging.getLogger(__name__)

_runtime: Runtime | None = None  # set once per scheduler process by `start`
_holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_job(name: str) -> None:
    """Entry point APScheduler calls (by textual reference, so jobs survive in the store)."""
    runtime = _require_runtime()
    if not hold_lease(runtime):
        log.debug("job %s skipped: another scheduler holds the lease", name)
        return
    run_recorded(JobContext(runtime.session_factory, runtime.settings), name, _holder, JOBS[name])


def hold_lease(runtime: Runtime) -> bool:
    ttl = timedelta(seconds=runtime.settings.scheduler_lease_seconds)
    with runtime.session_factory() as session, session.begin():
        return acquire_lease(session, _holder, ttl)


def _heartbeat() -> None:
    hold_lease(_require_runtime())


def parse_schedule(raw: str) -> dict[str, CronTrigger]:
    """`job=crontab;job=crontab`: five fields as in crontab, or six with seconds first."""
    schedule = {}
    for item in filter(None, (part.strip() for part in raw.split(";"))):
        name, _, expression = item.partition("=")
        name = name.strip()
        if name not in JOBS:
            raise ConfigError(
                f"PAYMENTS_SCHEDULE names unknown job {name!r}; known: {', '.join(sorted(JOBS))}"
            )
        schedule[name] = _trigger(name, expression.split())
    return schedule


def _trigger(name: str, fields: list[str]) -> CronTrigger:
    if len(fields) == 5:
        return CronTrigger.from_crontab(" ".join(fields), timezone="UTC")
    if len(fields) == 6:
        second, minute, hour, day, month, day_of_week = fields
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=day_of_week,
            timezone="UTC",
        )
    raise ConfigError(f"PAYMENTS_SCHEDULE entry for {name!r} needs 5 or 6 cron fields")


def build_scheduler(
    runtime: Runtime, schedule: Mapping[str, CronTrigger], *, background: bool = False
) -> BaseScheduler:
    store = SQLAlchemyJobStore(engine=runtime.engine, metadata=MetaData())
    stores = {"default": store, "local": MemoryJobStore()}
    kind = BackgroundScheduler if background else BlockingScheduler
    scheduler = kind(jobstores=stores, timezone="UTC")
    # The heartbeat keeps the lease while this process lives, even through a long job;
    # it is per process, so it lives in memory, not in the shared store.
    heartbeat = max(1, runtime.settings.scheduler_lease_seconds // 3)
    scheduler.add_job(_heartbeat, "interval", seconds=heartbeat, id="heartbeat", jobstore="local")
    for name, trigger in schedule.items():
        scheduler.add_job(
            "payments.scheduler:run_job",
            trigger=trigger,
            args=[name],
            id=name,
            name=name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=300,
        )
    return scheduler


def start_in_background(runtime: Runtime) -> BaseScheduler:
    """Start the scheduler in threads of this process (for `payments up`); call .shutdown()."""
    global _runtime  # noqa: PLW0603 - one runtime per scheduler process
    _runtime = runtime
    scheduler = build_scheduler(runtime, parse_schedule(runtime.settings.schedule), background=True)
    scheduler.start()
    return scheduler


def start(runtime: Runtime) -> None:
    """Run the scheduler in this process until interrupted."""
    global _runtime  # noqa: PLW0603 - one runtime per scheduler process
    _runtime = runtime
    schedule = parse_schedule(runtime.settings.schedule)
    scheduler = build_scheduler(runtime, schedule)
    log.info("scheduler %s starting with jobs: %s", _holder, ", ".join(sorted(schedule)))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler %s stopped", _holder)


def _require_runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the scheduler runtime is not set; start it with `payments scheduler`")
    return _runtime
