"""A dispatched batch reconciled against the sandbox's statement: settled, tied out, once."""

import pytest

from payments.ledger import accounts
from payments.ledger.services import balance
from payments.reconcile.ingest import DuplicateFile
from payments.reconcile.runs import reconcile_statement, run_reconciliation
from payments.reconcile.tieouts import tie_outs
from tests.integration.reconcile.conftest import FINANCE


def test_a_dispatched_batch_settles_from_the_statement_and_every_tie_out_holds(
    session, session_factory, dispatched, sandbox, today
):
    batch, payouts = dispatched(3)
    assert {p.state for p in payouts} == {"accepted"}
    report = reconcile_statement(session_factory, "bank", sandbox.fetch_statement(today), actor=FINANCE)
    session.expire_all()
    assert report["outcomes"]["settled"] == {"count": 3, "amount_vnd": batch.total_vnd}
    assert report["exceptions"] == {}
    assert balance(session, accounts.in_flight("bank")) == 0
    assert balance(session, accounts.settlement("bank")) == -batch.total_vnd
    ties = tie_outs(session)
    assert ties["holds"], ties
    assert ties["adapters"]["bank"]["three_way"]["settled_and_on_statement"] == 3


def test_the_same_statement_twice_is_refused_and_a_second_run_posts_nothing(
    session, session_factory, dispatched, sandbox, today
):
    dispatched(2)
    statement = sandbox.fetch_statement(today)
    reconcile_statement(session_factory, "bank", statement, actor=FINANCE)
    with pytest.raises(DuplicateFile):
        reconcile_statement(session_factory, "bank", statement, actor=FINANCE)
    again = run_reconciliation(session_factory, actor=FINANCE)
    assert again["posted_entries"] == 0
    assert again["lines"] == 0
    assert again["tie_outs"]["holds"]
