"""The accrual walks people a page at a time: every person once, with all their enrolments."""

from datetime import date

import pytest

from payments.registry.enrolments import enrol
from payments.registry.facts import iter_people
from payments.registry.validation import Terms
from tests.support.people import OFFICER, at, enrol_person


def _second_enrolment(session, beneficiary_id: int, serial: str) -> int:
    terms = Terms(
        "NCC",
        "NCC_WAR_INVALID",
        f"QD-X{serial}",
        date(2024, 7, 1),
        date(2024, 7, 1),
        None,
        {"injury_rate": 21},
    )
    enrolment = enrol(session, OFFICER, beneficiary_id, terms, clock=at(date(2024, 7, 1)))
    session.commit()
    return enrolment.id


@pytest.mark.parametrize("chunk", [1, 2, 3, 50])
def test_pages_hold_whole_people_in_order_each_once(session, chunk):
    expected: dict[int, list[int]] = {}
    for n in range(7):
        person, first = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
        expected[person] = [first]
        if n % 3 == 0:  # some people have two enrolments, so a page of people is more rows
            expected[person].append(_second_enrolment(session, person, f"{n}"))
    pages = list(iter_people(session, chunk=chunk))
    assert all(0 < len(page) <= chunk for page in pages)
    walked = [(person, enrolments) for page in pages for person, enrolments in page.items()]
    assert walked == sorted(expected.items())
