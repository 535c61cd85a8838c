"""The audit log is hash-chained, and the database itself refuses to change it."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from payments.audit.repository import search_events
from payments.audit.services import EventSpec, record_event, record_events, verify_chain
from payments.clock import fixed_clock
from payments.context import Actor

ALICE = Actor(username="alice", role="officer", user_id=7, request_id="req-00000001")


def _record(session, n: int = 3) -> None:
    for i in range(n):
        record_event(
            session,
            ALICE,
            "batch.submit",
            "batch",
            i + 1,
            before={"state": "draft"},
            after={"state": "pending_approval"},
        )
    session.flush()


def test_events_form_a_gapless_chain_that_verifies(session):
    _record(session, 5)
    result = verify_chain(session)
    assert result.ok
    assert result.events == 5
    events = search_events(session, limit=10)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in pairwise(events))


def test_events_recorded_together_chain_exactly_as_recorded_one_by_one(session):
    clock = fixed_clock(datetime(2024, 8, 21, 9, tzinfo=UTC))
    record_event(session, ALICE, "batch.submit", "batch", 1, after={"state": "pending_approval"}, clock=clock)
    together = record_events(
        session,
        ALICE,
        [EventSpec("batch.approve", "batch", 1, {"state": "pending_approval"}, {"state": "approved"}),
         EventSpec("reconcile.exception.raised", "recon_exception", 9, after={"kind": "AMBIGUOUS"})],
        clock=clock,
    )  # fmt: skip
    assert [e.seq for e in together] == [2, 3]
    assert verify_chain(session).ok
    hashes = [e.hash for e in together]
    session.rollback()
    record_event(session, ALICE, "batch.submit", "batch", 1, after={"state": "pending_approval"}, clock=clock)
    one_by_one = [
        record_event(session, ALICE, "batch.approve", "batch", 1, before={"state": "pending_approval"},
                     after={"state": "approved"}, clock=clock),
        record_event(session, ALICE, "reconcile.exception.raised", "recon_exception", 9,
                     after={"kind": "AMBIGUOUS"}, clock=clock),
    ]  # fmt: skip
    assert [e.hash for e in one_by_one] == hashes


def test_an_event_records_who_as_which_role_what_and_the_request(session):
    event = record_event(session, ALICE, "user.create", "user", 42, after={"username": "bob"})
    assert (event.actor, event.role, event.action, event.target_type, event.target_id) == (
        "alice",
        "officer",
        "user.create",
        "user",
        "42",
    )
    assert event.summary == {"before": None, "after": {"username": "bob"}}
    assert event.request_id == "req-00000001"
    assert event.occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'forged' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
    ],
)
def test_the_database_refuses_update_and_delete_on_the_audit_log(session, statement):
    _record(session, 1)
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
    savepoint.rollback()
    assert session.execute(text("SELECT action FROM audit_events WHERE seq = 1")).scalar() == "batch.submit"


def test_postgres_refuses_truncate_on_the_audit_log(session, db_kind):
    if db_kind != "postgresql":
        return  # SQLite has no TRUNCATE statement; DELETE is covered above
    _record(session, 1)
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("TRUNCATE audit_events"))
    savepoint.rollback()


def _drop_guards(session, db_kind) -> None:
    if db_kind == "postgresql":
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER audit_events_no_update"))
        session.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_verify_names_the_first_event_changed_behind_the_triggers(session, db_kind):
    _record(session, 4)
    _drop_guards(session, db_kind)
    session.execute(text("UPDATE audit_events SET target_id = '999' WHERE seq = 3"))
    session.expire_all()
    result = verify_chain(session)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "hash" in result.problem


def test_verify_names_a_gap_left_by_a_deleted_event(session, db_kind):
    _record(session, 4)
    _drop_guards(session, db_kind)
    session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    session.expire_all()
    result = verify_chain(session)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "gap" in result.problem


def test_search_filters_by_actor_action_target_and_time(session):
    start = datetime(2025, 7, 1, tzinfo=UTC)
    bob = Actor(username="bob", role="approver")
    record_event(session, ALICE, "batch.submit", "batch", 1, clock=fixed_clock(start))
    record_event(session, bob, "batch.approve", "batch", 1, clock=fixed_clock(start + timedelta(hours=1)))
    record_event(session, bob, "batch.approve", "batch", 2, clock=fixed_clock(start + timedelta(hours=2)))
    assert [e.action for e in search_events(session, actor="bob")] == ["batch.approve", "batch.approve"]
    assert [e.target_id for e in search_events(session, action="batch.approve", target_id="2")] == ["2"]
    window = search_events(session, since=start + timedelta(minutes=30), until=start + timedelta(minutes=90))
    assert [e.actor for e in window] == ["bob"]
    assert [e.seq for e in search_events(session, after_seq=1, limit=1)] == [2]
