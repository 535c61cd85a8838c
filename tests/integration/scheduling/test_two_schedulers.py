"""Two real scheduler processes on one database: only the lease holder acts."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from payments import migrate
from payments.db import make_engine, make_session_factory
from payments.scheduling.model import JobRun, SchedulerLease

pytestmark = pytest.mark.slow


def _start_scheduler(
    url: str, tmp_path, name: str, schedule: str = "verify_audit=* * * * * *", lease_seconds: int = 3
) -> subprocess.Popen:
    env = {
        **os.environ,
        "PAYMENTS_ENV": "test",
        "PAYMENTS_DATABASE_URL": url,
        "PAYMENTS_SCHEDULE": schedule,
        "PAYMENTS_SCHEDULER_LEASE_SECONDS": str(lease_seconds),
    }
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "payments", "scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def _runs(factory) -> list[JobRun]:
    with factory() as session:
        return list(session.scalars(select(JobRun).order_by(JobRun.id)))


def _lease_holder(factory) -> str | None:
    with factory() as session:
        return session.scalar(select(SchedulerLease.holder))


def _sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def _wait_for(predicate, timeout: float = 30.0, failure: str = "condition not met in time") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(failure)


def test_only_the_lease_holder_runs_jobs_and_the_other_takes_over_when_it_dies(fresh_database_url, tmp_path):
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    first, second = (
        _start_scheduler(fresh_database_url, tmp_path, "a"),
        _start_scheduler(fresh_database_url, tmp_path, "b"),
    )
    processes = {first.pid: first, second.pid: second}
    try:
        _wait_for(lambda: len(_runs(factory)) >= 4)
        holders = {run.holder for run in _runs(factory)}
        assert len(holders) == 1, holders
        holder_pid = int(next(iter(holders)).split(":")[1])
        processes[holder_pid].send_signal(signal.SIGKILL)
        processes[holder_pid].wait()
        seen = len(_runs(factory))
        _wait_for(lambda: len([r for r in _runs(factory)[seen:] if r.outcome == "succeeded"]) >= 2)
        later = {run.holder for run in _runs(factory)[seen:]}
        assert len(later) == 1
        assert later != holders
        assert all(run.outcome in ("succeeded", "running") for run in _runs(factory))
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=10)
        engine.dispose()


def test_a_firing_due_while_the_holder_is_held_up_is_run_once_by_it_not_taken_by_the_standby(
    fresh_database_url, tmp_path
):
    """The holder is stopped (SIGSTOP: a long pause, shorter than its lease) across the firing:
    the standby, awake all along, must leave it in the store for the holder to run when it goes on."""
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    fire_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20)
    fields = (fire_at.second, fire_at.minute, fire_at.hour, fire_at.day, fire_at.month)
    once = "verify_audit=" + " ".join(str(field) for field in fields) + " *"  # yearly: in effect, once

    def start(name: str) -> subprocess.Popen:
        return _start_scheduler(fresh_database_url, tmp_path, name, once, lease_seconds=20)

    holder = start("holder")
    processes = [holder]
    try:
        _wait_for(lambda: f":{holder.pid}:" in (_lease_holder(factory) or ""))
        processes.append(standby := start("standby"))
        _wait_for(lambda: "starting with jobs" in (tmp_path / "standby.log").read_text())
        assert datetime.now(UTC) < fire_at - timedelta(seconds=2), "the schedulers took too long to start"
        _sleep_until(fire_at - timedelta(seconds=1.5))
        holder.send_signal(signal.SIGSTOP)
        _sleep_until(fire_at + timedelta(seconds=3))
        assert standby.poll() is None
        holder.send_signal(signal.SIGCONT)
        _wait_for(lambda: len(_runs(factory)) >= 1, timeout=20, failure="the firing was lost: no run")
        time.sleep(2)  # time enough for a second run, were there one
        runs = [(run.holder.split(":")[1], run.outcome) for run in _runs(factory)]
        assert runs == [(str(holder.pid), "succeeded")]
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.send_signal(signal.SIGINT)
                process.wait(timeout=30)
        engine.dispose()
