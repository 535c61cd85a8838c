"""The scheduler process: APScheduler 3 with its SQLAlchemy job store, behind a lease.

Several schedulers may run (one per machine, say) on one job store; only the one holding the
lease in the database processes it. The others start paused and stand by: APScheduler moves a
due job's next run time on as it hands the job out, so a scheduler that merely looked without
the lease would take the firing, and the holder would find nothing due. A keeper thread renews
the lease and resumes or pauses its scheduler as the lease is won or lost (payments.scheduling.
keeper), and each run checks the lease once more and is recorded as skipped if it has gone.
Every job is safe to run twice, and every run is recorded in `job_runs`.
"""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import MetaData

from payments.app import Runtime
from payments.errors import ConfigError
from payments.jobs import JOBS
from payments.scheduling.keeper import LeaseKeeper
from payments.scheduling.runs import JobContext, run_as_lease_holder

log = logging.getLogger(__name__)

_runtime: Runtime | None = None  # set once per scheduler process by `start`
_holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
JOB_FUNCTION = "payments.scheduler:run_job"
SHARED_STORE = "default"  # the job store in the database, which every scheduler sees
JOB_OPTIONS: Mapping[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def run_job(name: str) -> None:
    """Entry point APScheduler calls (by textual reference, so jobs survive in the store)."""
    runtime = _require_runtime()
    run_as_lease_holder(JobContext(runtime.session_factory, runtime.settings), name, _holder, JOBS[name])


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


class LeasedScheduler(BackgroundScheduler):
    """An APScheduler that processes the shared job store only while its process holds the lease.

    `start` puts the schedule in the store (without moving on a firing already due), then waits
    paused until the keeper wins the lease; with `block`, it returns only after `shutdown`.
    """

    def __init__(
        self, keeper: LeaseKeeper, schedule: Mapping[str, CronTrigger], *, block: bool, **options: Any
    ) -> None:
        super().__init__(**options)
        self._keeper = keeper
        self._schedule = dict(schedule)
        self._block = block
        self._gate = threading.Lock()  # the keeper's resume and pause against our shutdown
        self._stopping = False
        self._shut_down = threading.Event()

    def start(self, *args: Any, **kwargs: Any) -> None:
        super().start(paused=True)
        try:
            for name, trigger in self._schedule.items():
                self._register(name, trigger)
        except BaseException:
            self.shutdown(wait=False)
            raise
        self._keeper.start(on_won=self._lease_won, on_lost=self._lease_lost)
        if self._block:
            self._shut_down.wait()

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking firings; with `wait`, once the running jobs have ended (the keeper still
        renewing the lease for them), hand the lease over at once."""
        with self._gate:
            self._stopping = True
            if self.running:
                self.pause()
                # A stopping scheduler's loop makes one last pass over its job stores (it skips
                # them only while paused), which would take a due firing without running it.
                # The store is the database's, not ours to shut: the engine stays open.
                self.remove_jobstore(SHARED_STORE, shutdown=False)
        if self.running:
            super().shutdown(wait)
        self._keeper.stop()
        if wait and self._keeper.holding:
            self._keeper.release()
        self._shut_down.set()

    def _lease_won(self) -> None:
        with self._gate:
            if not self._stopping:
                self.resume()

    def _lease_lost(self) -> None:
        with self._gate:
            if self.running:
                self.pause()

    def _register(self, name: str, trigger: CronTrigger) -> None:
        # Replacing a job computes its next run time afresh from now, which would move on a
        # firing that is due: a job already stored as configured is left as it is.
        stored = self.get_job(name, jobstore=SHARED_STORE)
        if stored is not None and _as_configured(stored, name, trigger):
            return
        try:
            self.add_job(
                JOB_FUNCTION, trigger=trigger, args=[name], id=name, name=name,
                replace_existing=stored is not None, **JOB_OPTIONS,
            )  # fmt: skip
        except ConflictingIdError:
            log.info("job %s was stored by another scheduler meanwhile", name)


def _as_configured(job: Job, name: str, trigger: CronTrigger) -> bool:
    options = {option: getattr(job, option) for option in JOB_OPTIONS}
    return (job.func_ref, tuple(job.args), repr(job.trigger), options) == (
        JOB_FUNCTION, (name,), repr(trigger), dict(JOB_OPTIONS),
    )  # fmt: skip


def build_scheduler(
    runtime: Runtime, schedule: Mapping[str, CronTrigger], *, background: bool = False
) -> LeasedScheduler:
    """The scheduler for `schedule`, on the database's job store, behind this process's lease.

    Without `background`, `start()` blocks until `shutdown()` (or Ctrl-C in the caller)."""
    store = SQLAlchemyJobStore(engine=runtime.engine, metadata=MetaData())
    ttl = timedelta(seconds=runtime.settings.scheduler_lease_seconds)
    keeper = LeaseKeeper(runtime.session_factory, _holder, ttl)
    stores = {SHARED_STORE: store}
    return LeasedScheduler(keeper, schedule, block=not background, jobstores=stores, timezone="UTC")


def start_in_background(runtime: Runtime) -> LeasedScheduler:
    """Start the scheduler in threads of this process (for `payments up`); call .shutdown()."""
    global _runtime  # noqa: PLW0603 - one runtime per scheduler process
    _runtime = runtime
    scheduler = build_scheduler(runtime, parse_schedule(runtime.settings.schedule), background=True)
    scheduler.start()
    return scheduler


def start(runtime: Runtime) -> None:
    """Run the scheduler in this process until interrupted; then hand the lease over."""
    global _runtime  # noqa: PLW0603 - one runtime per scheduler process
    _runtime = runtime
    schedule = parse_schedule(runtime.settings.schedule)
    scheduler = build_scheduler(runtime, schedule)
    jobs = ", ".join(sorted(schedule))
    log.info("scheduler %s starting with jobs: %s; waiting for the lease", _holder, jobs)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler %s stopping", _holder)
    finally:
        scheduler.shutdown()
    log.info("scheduler %s stopped", _holder)


def _require_runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the scheduler runtime is not set; start it with `payments scheduler`")
    return _runtime
