"""Writers of the ledger and the audit log take their locks in one order, whichever they write
first, and before any payout row: the dispatcher posts and then audits, reconciliation audits
and then posts. Two such transactions at once wait for each other instead of deadlocking
(PostgreSQL would abort one; on SQLite whole transactions already take turns)."""

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from payments import migrate
from payments.adapters.vocabulary import PayoutStatus
from payments.audit.model import AuditEvent
from payments.audit.services import record_event
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.disbursements import outbox
from payments.disbursements.answers import Answer
from payments.disbursements.claims import record_answers
from payments.disbursements.model import Batch, Payout
from payments.disbursements.outbox import PayoutMove
from payments.ledger.draft import EntryDraft
from payments.ledger.model import Entry
from payments.ledger.services import post_entry

ACTOR = Actor(username="writer", role="system")
NOW = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def sessions(fresh_database_url) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def at_once(*works: Callable[[], None]) -> list[Exception]:
    """Run each of `works` in a thread of its own, all at once; what they raised."""
    raised: list[Exception] = []

    def run(work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as exc:  # reported to the test
            raised.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return raised


def _post(session: Session, n: int) -> None:
    draft = EntryDraft(
        f"test:lock-order:{n}", "accrual", date(2024, 7, 1), (("expense:BTXH", 100), (f"payable:{n}", -100))
    )
    post_entry(session, draft, actor=ACTOR)


def test_an_auditing_poster_and_a_posting_auditor_at_once_both_commit(sessions):
    audit_first_holds_its_lock, post_first_holds_its_lock = threading.Event(), threading.Event()

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

    assert at_once(audit_then_post, post_then_audit) == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 2
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))))
        assert actions == {"test.audit_then_post", "test.post_then_audit"}


def test_the_dispatcher_recording_answers_and_a_callback_moving_the_same_payout_both_commit(sessions):
    """The callback audits first and then moves the payout; the dispatcher recording its answer
    locks the payout and then posts (and audits). Both take the writers' locks before the row."""
    batch_id, payout_id = _a_payout_being_sent(sessions)
    callback_audited = threading.Event()

    def callback() -> None:  # as reconciliation's staging of a callback does
        with sessions() as session, session.begin():
            record_event(session, ACTOR, "test.callback", "payout", payout_id)
            callback_audited.set()
            time.sleep(0.5)  # the dispatcher reaches its answers meanwhile
            move = PayoutMove(payout_id, "sending", "settled", None, None, None)
            assert outbox.move_payouts(session, [move], NOW) == 1

    def dispatcher() -> None:
        callback_audited.wait(timeout=10)
        with sessions() as session, session.begin():
            batch = session.get(Batch, batch_id)
            record_answers(
                session, batch, [Answer("K1", PayoutStatus.ACCEPTED)], {}, actor=ACTOR, clock=lambda: NOW
            )

    assert at_once(callback, dispatcher) == []
    with sessions() as session:
        assert session.get(Payout, payout_id).state == "settled"  # the later news stands


def _a_payout_being_sent(sessions) -> tuple[int, int]:
    with sessions() as session, session.begin():
        batch = Batch(
            period="2025-01", programme="BTXH", adapter="bank", state="dispatching", total_vnd=100,
            payout_count=1, manifest_hash="x" * 64, created_by="t", created_at=NOW, state_changed_at=NOW,
        )  # fmt: skip
        session.add(batch)
        session.flush()
        payout = Payout(
            batch_id=batch.id, payout_key="K1", beneficiary_id=1, amount_vnd=100, attempt=1, state="sending",
            channel="bank", instrument_id=1, instrument_sealed=b"x", instrument_key_id="k",
            instrument_masked={}, beneficiary_name="A", commune_code="1", category_code="c",
            send_attempts=1, updated_at=NOW,
        )  # fmt: skip
        session.add(payout)
        session.flush()
        return batch.id, payout.id
