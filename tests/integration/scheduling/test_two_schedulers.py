"""Two real scheduler processes on one database: only the lease holder acts."""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from payments import migrate
from payments.db import make_engine, make_session_factory
from payments.scheduling.model import JobRun

pytestmark = pytest.mark.slow


def _start_scheduler(url: str, tmp_path, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PAYMENTS_ENV": "test",
        "PAYMENTS_DATABASE_URL": url,
        "PAYMENTS_SCHEDULE": "verify_audit=* * * * * *",
        "PAYMENTS_SCHEDULER_LEASE_SECONDS": "3",
    }
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "payments", "scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def _runs(factory) -> list[JobRun]:
    with factory() as session:
        return list(session.scalars(select(JobRun).order_by(JobRun.id)))


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


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
