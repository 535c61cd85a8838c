"""DOMAIN rule 2 through an officer's termination (registry.enrolments.change_status): the month
of termination is still due, the months after are not, and a death keeps its funeral grant."""

from datetime import date

import pytest

from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.registry.enrolments import change_status
from payments.registry.services import record_death
from tests.support.people import OFFICER, enrol_person

MONTHLY = 750_000  # BTXH_ELDERLY_POOR_60_80: 1.5 x 500,000
FUNERAL_GRANT = 10_000_000  # 20 x 500,000


@pytest.fixture
def run(session_factory, session):
    def go(period: str):
        rates = load_rate_set(session, "68")
        return accrue(session_factory, Period.parse(period), rates, actor=OFFICER)

    return go


@pytest.fixture
def terminate(session):
    def go(enrolment: int, on: date, reason: str = "no longer eligible") -> None:
        change_status(session, OFFICER, enrolment, "terminated", reason, effective_date=on)
        session.commit()

    return go


def owed_to(session, person: int) -> int:
    return -balance(session, accounts.payable(person))


def test_an_enrolment_terminated_on_the_3rd_is_due_that_month_and_not_the_next(session, run, terminate):
    person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    run("2024-08")
    terminate(enrolment, date(2024, 9, 3))

    assert run("2024-09").accrued_vnd == MONTHLY
    assert run("2024-10").accrued_vnd == 0
    assert owed_to(session, person) == 2 * MONTHLY


def test_a_termination_on_death_keeps_the_month_of_death_and_pays_the_funeral_grant(session, run, terminate):
    person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    run("2024-08")
    record_death(session, OFFICER, person, date(2024, 9, 3))
    terminate(enrolment, date(2024, 9, 3), reason="died")

    assert run("2024-09").accrued_vnd == MONTHLY
    october = run("2024-10")
    assert october.accrued_vnd == FUNERAL_GRANT  # for the month after death, once
    assert run("2024-11").accrued_vnd == 0
    assert owed_to(session, person) == 2 * MONTHLY + FUNERAL_GRANT


def test_a_termination_recorded_late_takes_back_only_the_months_after_it(session, run, terminate):
    person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    for month in ("2024-08", "2024-09", "2024-10"):
        run(month)
    terminate(enrolment, date(2024, 9, 3))  # known only after October was accrued

    november = run("2024-11")
    assert november.recovered_vnd == MONTHLY  # October; September stays due
    assert november.accrued_vnd == 0
    assert owed_to(session, person) == 2 * MONTHLY


def test_an_enrolment_terminated_while_suspended_owes_nothing_for_the_month_of_termination(
    session, run, terminate
):
    person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    run("2024-08")
    change_status(
        session, OFFICER, enrolment, "suspended", "cash not collected", effective_date=date(2024, 9, 2)
    )
    session.commit()
    terminate(enrolment, date(2024, 11, 4), reason="not resolved within three months")

    assert [run(month).accrued_vnd for month in ("2024-09", "2024-10", "2024-11")] == [0, 0, 0]
    assert owed_to(session, person) == MONTHLY
