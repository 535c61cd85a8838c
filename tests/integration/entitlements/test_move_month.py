"""DOMAIN rule 6 with the new commune's decision signed in the month of the move: that month is
paid once (by the old commune's enrolment, due through it), and the new decision pays after."""

from datetime import date

import pytest
from sqlalchemy import select

from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.ledger import accounts
from payments.ledger.model import Entry
from payments.ledger.services import balance
from payments.registry.crypto import PiiCipher
from payments.registry.enrolments import enrol
from payments.registry.model import Enrolment
from payments.registry.services import update_beneficiary
from payments.registry.validation import Terms
from tests.support.people import OFFICER, at, enrol_person

NEW_COMMUNE = "24781"  # Phường Cam Ly - Đà Lạt, Lâm Đồng


@pytest.fixture
def run(session_factory, session):
    def go(period: str):
        rates = load_rate_set(session, "68")
        return accrue(session_factory, Period.parse(period), rates, actor=OFFICER)

    return go


@pytest.fixture
def move_with_new_decision(session, settings):
    def go(person: int, category: str, parameters: dict, moved_on: date, signed: date) -> int:
        cipher = PiiCipher.from_settings(settings)
        change = {"commune_code": NEW_COMMUNE}
        update_beneficiary(session, OFFICER, cipher, person, change, effective_date=moved_on)
        programme = category.split("_", maxsplit=1)[0]
        terms = Terms(
            programme, category, "31/QĐ-UBND Cam Ly", signed, signed.replace(day=1), None, parameters
        )
        enrolment = enrol(session, OFFICER, person, terms, clock=at(signed))
        session.commit()
        return enrolment.id

    return go


@pytest.mark.parametrize(
    ("category", "parameters", "monthly"),
    [
        ("NCC_WAR_INVALID", {"injury_rate": 41}, 3_667_000),
        ("NCC_MARTYR_RELATIVE", {"martyr_count": 2}, 5_578_000),
        ("BTXH_ELDERLY_POOR_60_80", {}, 750_000),
    ],
)
def test_the_month_of_a_move_is_paid_once_when_the_new_decision_is_signed_that_month(
    session, run, move_with_new_decision, category, parameters, monthly
):
    person, old = enrol_person(session, category, date(2025, 6, 10), **parameters)
    run("2025-08")
    new = move_with_new_decision(person, category, parameters, date(2025, 9, 5), date(2025, 9, 25))

    september = run("2025-09")
    assert september.accrued_vnd == monthly
    october = run("2025-10")
    assert october.accrued_vnd == monthly
    assert -balance(session, accounts.payable(person)) == 3 * monthly
    by_enrolment = {(int(e), p) for e, p in _accrual_refs(session, person)}
    assert (old, "2025-09") in by_enrolment
    assert (new, "2025-10") in by_enrolment
    assert (new, "2025-09") not in by_enrolment


def _accrual_refs(session, person: int) -> list[tuple[str, str]]:
    """(enrolment, month) of each month accrued to the person."""
    ids = [str(e) for e in session.scalars(select(Enrolment.id).where(Enrolment.beneficiary_id == person))]
    query = select(Entry.enrolment_ref, Entry.period).where(
        Entry.enrolment_ref.in_(ids), Entry.kind == "accrual"
    )
    return [(ref, period) for ref, period in session.execute(query)]
