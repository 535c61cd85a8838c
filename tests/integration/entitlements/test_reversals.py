"""A ledger reversal of an accrual (ledger.services.reverse_entry) is part of what was accrued:
a recompute brings the month back to what is owed, once."""

from datetime import date

import pytest
from sqlalchemy import select

from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.ledger import accounts
from payments.ledger.model import Entry
from payments.ledger.services import balance, reverse_entry
from tests.support.people import OFFICER, enrol_person

MONTHLY = 750_000  # BTXH_ELDERLY_POOR_60_80: 1.5 x 500,000
AUGUST_TO_SEPTEMBER = (Period(2024, 8), Period(2024, 9))


@pytest.fixture
def run(session_factory, session):
    def go(period: str, recompute=None):
        rates = load_rate_set(session, "68")
        return accrue(session_factory, Period.parse(period), rates, actor=OFFICER, recompute=recompute)

    return go


@pytest.fixture
def reverse(session):
    def go(seq: int) -> int:
        reversal = reverse_entry(
            session, seq, effective_date=date(2024, 9, 30), reason="correction", actor=OFFICER
        )
        session.commit()
        return reversal.seq

    return go


def _august_accrual(session, enrolment: int) -> int:
    return session.scalar(
        select(Entry.seq).where(Entry.idempotency_key == f"accrual:2024-08:{enrolment}:btxh.monthly")
    )


def owed_to(session, person: int) -> int:
    return -balance(session, accounts.payable(person))


def test_a_reversed_accrual_is_accrued_again_once_by_a_recompute(session, run, reverse):
    person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    run("2024-08")
    run("2024-09")
    reverse(_august_accrual(session, enrolment))
    assert owed_to(session, person) == MONTHLY

    recompute = run("2024-09", recompute=AUGUST_TO_SEPTEMBER)
    assert recompute.arrears_vnd == MONTHLY
    assert owed_to(session, person) == 2 * MONTHLY
    again = run("2024-09", recompute=AUGUST_TO_SEPTEMBER)
    assert (again.posted, again.arrears_vnd, again.recovered_vnd) == (0, 0, 0)
    assert owed_to(session, person) == 2 * MONTHLY


def test_a_reversed_reversal_leaves_the_month_accrued_once(session, run, reverse):
    person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    run("2024-08")
    run("2024-09")
    reverse(reverse(_august_accrual(session, enrolment)))
    assert owed_to(session, person) == 2 * MONTHLY

    recompute = run("2024-09", recompute=AUGUST_TO_SEPTEMBER)
    assert (recompute.posted, recompute.arrears_vnd, recompute.recovered_vnd) == (0, 0, 0)
    assert owed_to(session, person) == 2 * MONTHLY
