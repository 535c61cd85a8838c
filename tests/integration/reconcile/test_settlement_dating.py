"""A payout the provider settles at send time is dated the dispatch day in the ledger, while the
bank books it on its own booking day (often the next). The statement tie-out compares each
statement with the ledger entries of the payouts it booked, so that gap is no break."""

from datetime import timedelta

import pytest

from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.script import Outcome
from payments.disbursements.repository import payouts_in
from payments.reconcile.exceptions import list_exceptions
from payments.reconcile.runs import import_file, run_reconciliation
from payments.reconcile.tieouts import tie_outs
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import Booking, camt


@pytest.fixture
def settled_at_send(session, approved, dispatcher):
    """A batch whose provider answers SETTLED when it is sent (the ledger dates it today)."""

    def make(count: int = 2):
        batch = approved(count)
        dispatcher(adapter=SandboxAdapter("bank", default=Outcome("settle"))).dispatch(batch.id)
        session.expire_all()
        return batch, payouts_in(session, batch.id)

    return make


def _import(session_factory, data: bytes, name: str):
    return import_file(session_factory, adapter="bank", data=data, file_name=name, actor=FINANCE)


def test_a_payout_settled_at_send_and_booked_the_next_day_is_no_balance_break(
    session, session_factory, settled_at_send, today
):
    batch, payouts = settled_at_send(2)
    assert {p.state for p in payouts} == {"settled"}
    _import(session_factory, camt([], today), "today.xml")  # the bank has not booked them yet
    tomorrow = today + timedelta(days=1)
    report = _import(
        session_factory, camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], tomorrow), "d2.xml"
    )
    assert report["outcomes"] == {"confirmed": {"count": 2, "amount_vnd": batch.total_vnd}}
    assert list_exceptions(session, kind="BALANCE_BREAK") == []
    ties = tie_outs(session)
    assert ties["holds"], ties
    settlement = ties["adapters"]["bank"]["settlement"]
    assert settlement["statement_movement_vnd"] == settlement["ledger_movement_vnd"] == -batch.total_vnd


def test_a_settled_payout_no_statement_has_booked_yet_is_reported_as_not_yet_on_a_statement(
    session, session_factory, settled_at_send, today
):
    _, payouts = settled_at_send(2)
    _import(session_factory, camt([Booking(payouts[0].payout_key, payouts[0].amount_vnd)], today), "d1.xml")
    report = run_reconciliation(session_factory, actor=FINANCE)
    bank = report["tie_outs"]["adapters"]["bank"]
    assert bank["settlement"]["holds"]
    assert bank["three_way"]["settled_not_yet_on_statement"] == 1
    assert list_exceptions(session, kind="BALANCE_BREAK") == []


def test_money_a_statement_books_that_the_ledger_does_not_explain_still_breaks(
    session, session_factory, settled_at_send, today
):
    _, payouts = settled_at_send(1)
    stranger = Booking("NOT-OURS-0002", 77_000)
    data = camt([Booking(payouts[0].payout_key, payouts[0].amount_vnd), stranger], today + timedelta(days=1))
    _import(session_factory, data, "d2.xml")
    (found,) = list_exceptions(session, kind="BALANCE_BREAK")
    assert found.data["check"] == "ledger"
    assert found.amount_vnd == -77_000
    assert not tie_outs(session)["holds"]
