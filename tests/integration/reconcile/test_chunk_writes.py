"""A chunk's writes in bulk: payout moves in the order they were decided and guarded by the
state they were decided from; exceptions recorded together, each once, each audited."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from payments.audit.model import AuditEvent
from payments.disbursements.model import Payout
from payments.errors import Conflict
from payments.ledger.model import Entry
from payments.reconcile import payout_queries
from payments.reconcile.chunk import Chunk, Tally
from payments.reconcile.exceptions import Problem, list_exceptions, raise_exceptions
from payments.reconcile.lines import Line
from payments.reconcile.model import ReconException, ReconExceptionEvent
from payments.reconcile.processing import apply_line
from payments.reconcile.runs import import_file
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import Booking, camt


def _entry_kinds(session, payout_key: str) -> list[str]:
    query = select(Entry.kind).where(Entry.payout_ref == payout_key).order_by(Entry.seq)
    return list(session.scalars(query))


def test_a_payout_paid_and_returned_in_one_statement_ends_returned_with_both_entries(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    paid = Booking(payout.payout_key, payout.amount_vnd)
    back = Booking(payout.payout_key, payout.amount_vnd, direction="CRDT", reason="AC04")
    report = import_file(
        session_factory, adapter="bank", data=camt([paid, back], today), file_name="day.xml", actor=FINANCE
    )
    session.expire_all()
    assert payout.state == "returned"
    assert payout.reason_code == "AC04"
    kinds = _entry_kinds(session, payout.payout_key)
    assert kinds == ["payout_initiated", "payout_settled", "payout_returned"]
    assert [e.kind for e in list_exceptions(session)] == ["RETURNED_AFTER_SETTLEMENT"]
    assert report["tie_outs"]["holds"]


def test_a_payout_another_writer_moved_meanwhile_is_a_conflict_and_nothing_is_posted(
    session, dispatched, today
):
    _, (payout,) = dispatched(1)
    chunk = Chunk(session, "bank", None, FINANCE, lambda: datetime.now(UTC), Tally())
    (held,) = chunk.hold(payout_queries.payouts_by_key(session, [payout.payout_key], adapter="bank"))
    session.execute(update(Payout).where(Payout.id == payout.id).values(state="in_doubt"))  # the other writer
    line = Line(1, True, "settled", payout.amount_vnd, "DBIT", today, end_to_end_id=payout.payout_key)
    assert apply_line(chunk, 1, line, held, match_pass=1) == "settled"
    with pytest.raises(Conflict, match="changed while"):
        chunk.write()
    session.rollback()
    session.expire_all()
    assert payout.state == "accepted"
    assert _entry_kinds(session, payout.payout_key) == ["payout_initiated"]


def _problem(fingerprint: str) -> Problem:
    return Problem(kind="UNMATCHED_CONFIRMATION", fingerprint=fingerprint, adapter="bank", detail=fingerprint)


def _count(session, table, *where) -> int:
    return session.scalar(select(func.count()).select_from(table).where(*where))


def test_exceptions_raised_together_are_each_recorded_once_with_an_event_and_an_audit_record(session):
    raise_exceptions(session, [_problem("seen-before")], actor=FINANCE)
    fresh = raise_exceptions(
        session, [_problem("a"), _problem("seen-before"), _problem("b"), _problem("a")], actor=FINANCE
    )
    assert [p.fingerprint for p in fresh] == ["a", "b"]
    assert sorted(session.scalars(select(ReconException.fingerprint))) == ["a", "b", "seen-before"]
    assert _count(session, ReconExceptionEvent, ReconExceptionEvent.action == "raised") == 3
    assert _count(session, AuditEvent, AuditEvent.action == "reconcile.exception.raised") == 3
    (a,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION", after_id=0, limit=1)
    assert (a.state, a.detail, a.data) == ("open", "seen-before", {})
