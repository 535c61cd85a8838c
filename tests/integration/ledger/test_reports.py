"""Auditor queries: accounts, statements with running balances, trial balance, as-of, export."""

from datetime import date

import pytest

from payments.errors import InvalidInput, NotFound
from payments.ledger import reports, services
from payments.ledger.draft import EntryDraft
from tests.integration.ledger.conftest import CLERK


def _post(session, key, day, postings, **extra):
    draft = EntryDraft(key, extra.pop("kind", "accrual"), day, postings, **extra)
    return services.post_entry(session, draft, actor=CLERK)


@pytest.fixture
def books(session):
    _post(session, "jun", date(2025, 6, 30), (("expense:BTXH", 400), ("payable:1", -400)))
    _post(session, "jul", date(2025, 7, 1), (("expense:BTXH", 500), ("payable:1", -500)), period="2025-07")
    _post(session, "out", date(2025, 7, 10), (("payable:1", 900), ("in_flight:napas", -900)), payout_ref="P1")
    _post(
        session,
        "ok",
        date(2025, 7, 11),
        (("in_flight:napas", 900), ("settlement:napas", -900)),
        payout_ref="P1",
    )
    _post(session, "aug", date(2025, 8, 1), (("expense:BTXH", 500), ("payable:1", -500)), period="2025-08")
    return session


def test_accounts_are_listed_by_code_with_cached_balances_and_filtered_by_type(books):
    rows = reports.list_accounts(books)
    assert [(r.code, r.balance_vnd) for r in rows] == [
        ("expense:BTXH", 1400),
        ("in_flight:napas", 0),
        ("payable:1", -500),
        ("settlement:napas", -900),
    ]
    assert [r.code for r in reports.list_accounts(books, account_type="payable")] == ["payable:1"]
    assert [r.code for r in reports.list_accounts(books, after_code="in_flight:napas", limit=1)] == [
        "payable:1"
    ]


def test_a_statement_carries_a_running_balance_across_pages(books):
    first = reports.statement(books, "payable:1", limit=2)
    assert [(line.seq, line.amount_vnd, line.balance_vnd) for line in first] == [
        (1, -400, -400),
        (2, -500, -900),
    ]
    rest = reports.statement(books, "payable:1", after=(first[-1].seq, first[-1].line), limit=10)
    assert [(line.seq, line.amount_vnd, line.balance_vnd) for line in rest] == [(3, 900, 0), (5, -500, -500)]
    assert rest[0].payout_ref == "P1"
    assert rest[0].kind == "accrual"


def test_a_statement_of_an_unknown_account_is_not_found(books):
    with pytest.raises(NotFound):
        reports.statement(books, "payable:404")


def test_the_trial_balance_of_a_period_has_opening_movements_and_closing(books):
    report = reports.trial_balance(books, "2025-07")
    rows = {r[0]: tuple(r[2:]) for r in report.rows}
    assert rows == {
        "expense:BTXH": (400, 500, 0, 900),
        "in_flight:napas": (0, 900, 900, 0),
        "payable:1": (-400, 900, 500, 0),
        "settlement:napas": (0, 0, 900, -900),
    }
    assert report.total_debit_vnd == report.total_credit_vnd == 2300


def test_the_trial_balance_pages_by_account_but_totals_every_account(books):
    report = reports.trial_balance(books, "2025-07", after_code="expense:BTXH", limit=1)
    assert [r[0] for r in report.rows] == ["in_flight:napas"]
    assert report.total_debit_vnd == 2300


@pytest.mark.parametrize("period", ["2025-7", "2025-13", "July", ""])
def test_a_malformed_period_is_refused(books, period):
    with pytest.raises(InvalidInput):
        reports.trial_balance(books, period)


def test_balances_as_of_a_date_or_sequence_number_are_summed_from_postings(books):
    by_date = dict(reports.balances_as_of(books, as_of_date=date(2025, 7, 10)))
    assert by_date == {"expense:BTXH": 900, "in_flight:napas": -900, "payable:1": 0}
    by_seq = dict(reports.balances_as_of(books, as_of_seq=1, account_type="payable"))
    assert by_seq == {"payable:1": -400}


def test_the_export_lists_every_posting_in_chain_order_across_chunks(books):
    rows = list(reports.export_rows(books, chunk=3))
    assert [(r[0], r[1]) for r in rows] == [(s, line) for s in range(1, 6) for line in (1, 2)]
    assert rows[0][:7][4:] == ("accrual", "expense:BTXH", 400)
    assert [r[0] for r in reports.export_rows(books, from_seq=2, to_seq=3, account_code="payable:1")] == [
        2,
        3,
    ]
