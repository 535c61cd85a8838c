"""Writers of the ledger and the audit log take their locks in one order, whichever they write
first: the dispatcher posts and then audits, reconciliation audits and then posts. Two such
transactions at once wait for each other instead of deadlocking (PostgreSQL would abort one)."""

import threading
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from payments import migrate
from payments.audit.model import AuditEvent
from payments.audit.services import record_event
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.ledger.draft import EntryDraft
from payments.ledger.model import Entry
from payments.ledger.services import post_entry

ACTOR = Actor(username="writer", role="system")


@pytest.fixture
def sessions(fresh_database_url) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def _post(session: Session, n: int) -> None:
    draft = EntryDraft(
        f"test:lock-order:{n}", "accrual", date(2024, 7, 1), (("expense:BTXH", 100), (f"payable:{n}", -100))
    )
    post_entry(session, draft, actor=ACTOR)


def test_an_auditing_poster_and_a_posting_auditor_at_once_both_commit(sessions):
    audit_first_holds_its_lock, post_first_holds_its_lock = threading.Event(), threading.Event()
    raised: list[Exception] = []

    def audit_then_post() -> None:  # as reconciliation does
        with sessions() as session, session.begin():
            record_event(session, ACTOR, "test.audit_then_post", "test", 1)
            audit_first_holds_its_lock.set()
            post_first_holds_its_lock.wait(timeout=1)  # never set when the other waits for us
            _post(session, 1)

    def post_then_audit() -> None:  # as the dispatcher does
        audit_first_holds_its_lock.wait(timeout=10)
        with sessions() as session, session.begin():
            _post(session, 2)
            post_first_holds_its_lock.set()
            record_event(session, ACTOR, "test.post_then_audit", "test", 2)

    def run(work) -> None:
        try:
            work()
        except Exception as exc:  # reported to the test
            raised.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in (audit_then_post, post_then_audit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert raised == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 2
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))))
        assert actions == {"test.audit_then_post", "test.post_then_audit"}
