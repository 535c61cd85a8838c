"""A termination records the last month due (DOMAIN rule 2): the month it takes effect."""

from datetime import date

import pytest

from payments.registry import enrolments, repository, services
from tests.integration.registry.conftest import person, terms


@pytest.fixture
def enrolment(session, officer, cipher, clock):
    dao = services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    return enrolments.enrol(session, officer, dao.id, terms(), clock=clock)  # due from 2024-08


def _terminate(session, officer, enrolment, on: date, clock):
    enrolments.change_status(
        session, officer, enrolment.id, "terminated", "ineligible", effective_date=on, clock=clock
    )
    return repository.enrolment_versions(session, enrolment.id)[-1]


def test_terminating_records_the_month_of_termination_as_the_last_month_due(
    session, officer, enrolment, clock
):
    last = _terminate(session, officer, enrolment, date(2025, 3, 17), clock)
    assert (last.status, last.end_month) == ("terminated", date(2025, 3, 1))


def test_terminating_keeps_an_earlier_end_month(session, officer, enrolment, clock):
    enrolments.amend_enrolment(
        session,
        officer,
        enrolment.id,
        {"end_month": date(2025, 1, 1)},
        effective_date=date(2024, 12, 1),
        clock=clock,
    )
    last = _terminate(session, officer, enrolment, date(2025, 3, 17), clock)
    assert last.end_month == date(2025, 1, 1)


def test_terminating_a_suspended_enrolment_ends_it_the_month_before(session, officer, enrolment, clock):
    enrolments.change_status(
        session,
        officer,
        enrolment.id,
        "suspended",
        "cash not collected",
        effective_date=date(2025, 1, 6),
        clock=clock,
    )
    last = _terminate(session, officer, enrolment, date(2025, 4, 7), clock)
    assert last.end_month == date(2025, 3, 1)  # and nothing was due since the suspension either


def test_terminating_before_the_first_month_due_leaves_nothing_due(session, officer, cipher, clock):
    dao = services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    deferred = enrolments.enrol(session, officer, dao.id, terms(start_month=date(2024, 10, 1)), clock=clock)
    last = _terminate(session, officer, deferred, date(2024, 9, 2), clock)
    assert (last.status, last.end_month) == ("terminated", None)
