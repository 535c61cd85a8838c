"""A scheduler without the lease never takes a firing from the shared job store: one that comes
due while it stands by (or as it shuts down) is still due for the scheduler that holds the lease,
which runs it once."""

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from payments import migrate, scheduler
from payments.app import Runtime
from payments.config import Settings
from payments.db import make_engine, make_session_factory
from payments.scheduling.lease import acquire_lease, release_lease
from payments.scheduling.model import JobRun

OTHER = "host-b:7:bbbbbb"  # a scheduler on another machine, holding the lease


def _yearly_at(moment: datetime) -> str:
    """A schedule that fires at `moment` (and a year later): a month-end job, in small."""
    fields = (moment.second, moment.minute, moment.hour, moment.day, moment.month)
    return "verify_audit=" + " ".join(str(field) for field in fields) + " *"


def _runs(factory) -> list[JobRun]:
    with factory() as session:
        return list(session.scalars(select(JobRun).order_by(JobRun.id)))


def _wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_firing_due_while_a_standby_runs_is_left_for_the_lease_holder_and_run_once(fresh_database_url):
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    fire_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    settings = Settings(env="test", database_url=fresh_database_url, schedule=_yearly_at(fire_at))
    runtime = Runtime(settings, engine, factory, adapters={})
    with factory() as session, session.begin():
        assert acquire_lease(session, OTHER, timedelta(hours=1))
    schedule = scheduler.parse_schedule(settings.schedule)
    try:
        standby = scheduler.build_scheduler(runtime, schedule, background=True)
        standby.start()
        time.sleep((fire_at - datetime.now(UTC)).total_seconds() + 1.5)
        standby.shutdown()
        assert _runs(factory) == []  # the standby ran nothing, and took nothing either:

        with factory() as session, session.begin():
            release_lease(session, OTHER)  # the holder hands over to the next scheduler
        holder = scheduler.start_in_background(runtime)
        try:
            ran = _wait_for(lambda: any(run.outcome == "succeeded" for run in _runs(factory)))
            time.sleep(1)  # time enough for a second run, were there one
        finally:
            holder.shutdown()

        assert ran, "the firing due while the standby ran was lost"
        assert [(run.job, run.outcome) for run in _runs(factory)] == [("verify_audit", "succeeded")]
    finally:
        engine.dispose()
