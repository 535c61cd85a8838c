from datetime import UTC, datetime, timedelta

import pytest

from payments.clock import fixed_clock
from payments.scheduling.keeper import LeaseKeeper
from payments.scheduling.lease import acquire_lease, release_lease
from payments.scheduling.model import JobRun
from payments.scheduling.runs import JobContext, run_as_lease_holder, run_recorded
from tests.conftest import bearer


@pytest.fixture
def context(session_factory, settings) -> JobContext:
    return JobContext(session_factory, settings)


T0 = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)
TTL = timedelta(seconds=90)


def test_only_one_holder_gets_the_lease(session):
    assert acquire_lease(session, "a", TTL, clock=fixed_clock(T0))
    assert not acquire_lease(session, "b", TTL, clock=fixed_clock(T0 + timedelta(seconds=10)))
    assert acquire_lease(session, "a", TTL, clock=fixed_clock(T0 + timedelta(seconds=20)))


def test_an_expired_lease_is_taken_over(session):
    assert acquire_lease(session, "a", TTL, clock=fixed_clock(T0))
    assert acquire_lease(session, "b", TTL, clock=fixed_clock(T0 + TTL + timedelta(seconds=1)))
    assert not acquire_lease(session, "a", TTL, clock=fixed_clock(T0 + TTL + timedelta(seconds=2)))


def test_a_released_lease_is_free_at_once(session):
    assert acquire_lease(session, "a", TTL, clock=fixed_clock(T0))
    release_lease(session, "a", clock=fixed_clock(T0 + timedelta(seconds=5)))
    assert acquire_lease(session, "b", TTL, clock=fixed_clock(T0 + timedelta(seconds=6)))


def test_a_successful_run_is_recorded_with_its_counts(context, session):
    run = run_recorded(context, "verify_audit", "me", lambda c: {"events": 3})
    stored = session.get(JobRun, run.id)
    assert (stored.outcome, stored.counts, stored.error) == ("succeeded", {"events": 3}, None)
    assert stored.finished_at >= stored.started_at


def test_a_failing_run_is_recorded_and_its_work_rolled_back(context, session):
    def failing(c):
        from payments.audit.services import record_event
        from payments.context import SYSTEM

        with c.session_factory() as s, s.begin():
            record_event(s, SYSTEM, "should.vanish", "x", 1)
            raise ValueError("the bank file was empty")

    run = run_recorded(context, "reconcile", "me", failing)
    stored = session.get(JobRun, run.id)
    assert stored.outcome == "failed"
    assert "the bank file was empty" in stored.error
    from payments.audit.repository import search_events

    assert search_events(session, action="should.vanish") == []


def test_job_runs_are_listed_newest_first_by_the_api(client, context, token_for):
    for _ in range(3):
        run_recorded(context, "verify_audit", "me", lambda c: {"n": 1})
    body = client.get("/api/v1/jobs/runs?limit=2", headers=bearer(token_for("auditor"))).get_json()
    ids = [run["id"] for run in body["items"]]
    assert ids == sorted(ids, reverse=True)
    more = client.get(f"/api/v1/jobs/runs?cursor={body['next_cursor']}", headers=bearer(token_for("auditor")))
    assert all(run["id"] < ids[-1] for run in more.get_json()["items"])


def test_a_firing_taken_by_a_scheduler_that_lost_the_lease_is_recorded_as_skipped_and_not_run(
    context, session
):
    assert acquire_lease(session, "host-b:7:bbbbbb", TTL)
    session.commit()
    ran = []

    run = run_as_lease_holder(context, "verify_audit", "host-a:1:aaaaaa", lambda c: ran.append(1))

    stored = session.get(JobRun, run.id)
    assert ran == []
    assert (stored.outcome, stored.holder) == ("skipped", "host-a:1:aaaaaa")
    assert "host-b:7:bbbbbb" in stored.error
    assert stored.finished_at == stored.started_at


def test_the_lease_holder_runs_its_firing_and_records_it(context, session):
    run = run_as_lease_holder(context, "verify_audit", "host-a:1:aaaaaa", lambda c: {"events": 0})
    assert session.get(JobRun, run.id).outcome == "succeeded"


class Moments:
    """A clock the test moves on."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_the_keeper_says_when_the_lease_is_won_and_when_it_is_lost(session_factory, session):
    clock, calls = Moments(T0), []
    keeper = LeaseKeeper(session_factory, "a", TTL, clock=clock)
    keeper.start(on_won=lambda: calls.append("won"), on_lost=lambda: calls.append("lost"))
    keeper.stop()  # one beat from its thread, then the test beats by hand
    assert calls == ["won"]

    clock.now = T0 + TTL / 3
    assert keeper.beat()
    clock.now = T0 + TTL / 3 + TTL + timedelta(seconds=1)  # "a" stalled beyond its lease; "b" takes it
    assert acquire_lease(session, "b", TTL, clock=clock)
    session.commit()
    assert not keeper.beat()
    assert calls == ["won", "lost"]


class Sessions:
    """A session factory whose database can be made to go away."""

    def __init__(self, real):
        self.real, self.reachable = real, True

    def __call__(self):
        if not self.reachable:
            raise ConnectionError("the database went away")
        return self.real()


def test_a_keeper_that_cannot_renew_the_lease_stops_its_scheduler(session_factory):
    sessions, calls = Sessions(session_factory), []
    keeper = LeaseKeeper(sessions, "a", TTL, clock=fixed_clock(T0))
    keeper.start(on_won=lambda: calls.append("won"), on_lost=lambda: calls.append("lost"))
    keeper.stop()

    sessions.reachable = False
    assert not keeper.beat()
    assert calls == ["won", "lost"]
