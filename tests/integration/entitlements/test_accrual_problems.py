"""A person whose month cannot be computed is reported and that month left alone: not knowing
what is owed is no reason to take back what was accrued."""

from datetime import date

import pytest

from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.registry.enrolments import enrol
from payments.registry.validation import Terms
from tests.support.people import OFFICER, enrol_person

ELDERLY_BEFORE_JULY_2024 = 540_000  # 1.5 x 360,000
ELDERLY = 750_000  # 1.5 x 500,000
WAR_INVALID_41 = 3_667_000  # from 2024-07; the table before then is not seeded


@pytest.fixture
def run(session_factory, session):
    def go(period: str):
        rates = load_rate_set(session, "68")
        return accrue(session_factory, Period.parse(period), rates, actor=OFFICER)

    return go


def test_a_month_that_cannot_be_computed_is_reported_and_nothing_accrued_is_taken_back(session, run):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 1, 10))
    for month in ("2024-05", "2024-06", "2024-07"):
        run(month)
    # A war-invalid decision signed in June, recorded late: June has no war-invalid table.
    war_invalid = Terms(
        "NCC", "NCC_WAR_INVALID", "QD-TB-1", date(2024, 6, 5), date(2024, 6, 1), None, {"injury_rate": 41}
    )
    ncc_enrolment = enrol(session, OFFICER, person, war_invalid).id
    session.commit()

    august = run("2024-08")

    assert {(p["enrolment_id"], p["period"]) for p in august.problems} >= {(ncc_enrolment, "2024-06")}
    assert august.recovered_vnd == 0  # June's BTXH allowance is still owed
    assert august.arrears_vnd == WAR_INVALID_41  # July, which can be computed
    assert -balance(session, accounts.payable(person)) == (
        2 * ELDERLY_BEFORE_JULY_2024 + 2 * ELDERLY + 2 * WAR_INVALID_41
    )
