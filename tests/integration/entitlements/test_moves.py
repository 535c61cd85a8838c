"""DOMAIN rule 6: a move to another commune closes the enrolment at the old commune; payment
resumes only with the new commune's decision."""

from datetime import date

from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.registry import repository
from payments.registry.crypto import PiiCipher
from payments.registry.enrolments import enrol
from payments.registry.services import update_beneficiary
from payments.registry.validation import Terms
from tests.support.people import OFFICER, at, enrol_person

NEW_COMMUNE = "24781"  # Phường Cam Ly - Đà Lạt, Lâm Đồng: a different current commune
MERGED_INTO = "22900"  # what the old Phú Thủy (22960) became on 2025-07-01


def _run(session, session_factory, period: str):
    rates = load_rate_set(session, "68")
    return accrue(session_factory, Period.parse(period), rates, actor=OFFICER)


def _move(session, settings, person: int, commune: str, on: date) -> None:
    cipher = PiiCipher.from_settings(settings)
    # Recorded now (the real clock), effective from `on`: runs recompute what changed since they last ran.
    update_beneficiary(session, OFFICER, cipher, person, {"commune_code": commune}, effective_date=on)
    session.commit()


def test_the_month_of_the_move_is_due_and_the_months_after_are_not(session, session_factory, settings):
    person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2025, 6, 10))
    _move(session, settings, person, NEW_COMMUNE, date(2025, 9, 10))

    assert _run(session, session_factory, "2025-09").accrued_vnd == 750_000
    assert _run(session, session_factory, "2025-10").accrued_vnd == 0
    versions = repository.enrolment_versions(session, enrolment)
    assert (versions[-1].status, versions[-1].end_month) == ("terminated", date(2025, 9, 1))
    assert "DOMAIN rule 6" in versions[-1].status_reason


def test_a_move_recorded_late_takes_back_the_months_after_it(session, session_factory, settings):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2025, 6, 10))
    for month in ("2025-07", "2025-08", "2025-09"):
        _run(session, session_factory, month)
    _move(session, settings, person, NEW_COMMUNE, date(2025, 8, 5))

    october = _run(session, session_factory, "2025-10")
    assert october.recovered_vnd == 750_000  # September was accrued before the move was known
    assert october.accrued_vnd == 0
    assert -balance(session, accounts.payable(person)) == 2 * 750_000


def test_the_new_communes_decision_resumes_payment(session, session_factory, settings):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2025, 6, 10))
    _move(session, settings, person, NEW_COMMUNE, date(2025, 9, 10))
    terms = Terms(
        "BTXH", "BTXH_ELDERLY_POOR_60_80", "31/QĐ-UBND Cam Ly", date(2025, 10, 3), date(2025, 10, 1), None, {}
    )
    enrol(session, OFFICER, person, terms, clock=at(date(2025, 10, 3)))
    session.commit()
    assert _run(session, session_factory, "2025-10").accrued_vnd == 750_000


def test_a_commune_recoded_by_the_merger_is_not_a_move(session, session_factory, settings):
    person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2025, 6, 10))
    _move(session, settings, person, MERGED_INTO, date(2025, 9, 10))
    assert _run(session, session_factory, "2025-10").accrued_vnd == 750_000
    assert repository.enrolment_versions(session, enrolment)[-1].status == "active"
