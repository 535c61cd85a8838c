"""A run asked to recompute a span of months still brings up to date every change recorded
since the previous run: each run is the next one's starting point, so a change it skipped
would never be applied."""

from datetime import date

import pytest

from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.registry.services import record_death
from tests.support.people import OFFICER, enrol_person

MONTHLY = 750_000  # BTXH_ELDERLY_POOR_60_80 from 2024-07: 1.5 x 500,000
FUNERAL_GRANT = 10_000_000  # 20 x 500,000


@pytest.fixture
def run(session_factory, session):
    def go(period: str, recompute=None):
        rates = load_rate_set(session, "68")
        return accrue(session_factory, Period.parse(period), rates, actor=OFFICER, recompute=recompute)

    return go


def net_owed(session, person: int) -> int:
    """What we owe the person less what they owe us."""
    return -balance(session, accounts.payable(person)) - balance(session, accounts.receivable(person))


def test_a_death_recorded_before_a_span_run_is_applied_even_outside_the_span(session, run):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    for month in ("2024-08", "2024-09", "2024-10"):
        run(month)
    record_death(session, OFFICER, person, date(2024, 8, 10))
    session.commit()

    november = run("2024-11", recompute=(Period(2024, 10), Period(2024, 10)))

    assert november.recovered_vnd == 2 * MONTHLY  # September and October
    assert net_owed(session, person) == MONTHLY + FUNERAL_GRANT  # August, and the grant for September
    for month in ("2024-12", "2025-01"):
        later = run(month)
        assert (later.accrued_vnd, later.arrears_vnd, later.recovered_vnd) == (0, 0, 0)
    assert net_owed(session, person) == MONTHLY + FUNERAL_GRANT


def test_a_span_run_recomputes_the_months_asked_for_and_those_changed(session, run):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    for month in ("2024-08", "2024-09", "2024-10"):
        run(month)
    record_death(session, OFFICER, person, date(2024, 8, 10))
    session.commit()

    november = run("2024-11", recompute=(Period(2024, 9), Period(2024, 9)))

    assert november.recomputed == ["2024-09"]  # for everyone; the death reaches back for this person only
    assert net_owed(session, person) == MONTHLY + FUNERAL_GRANT
