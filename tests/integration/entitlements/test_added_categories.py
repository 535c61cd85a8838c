"""Categories an administrator adds are paid by a rule the entitlements know (the provincial
one: standard level × the decision's coefficient), or refused when added; an accrual that
cannot read an enrolment names it, down to the scheduler's failed run."""

from datetime import UTC, date, datetime

import pytest

from payments.clock import fixed_clock
from payments.context import Actor
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.errors import InvalidInput, PaymentsError
from payments.jobs import JOBS
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.registry.reference import add_category
from payments.scheduling.runs import JobContext
from tests.factories import CategoryFactory
from tests.support.people import OFFICER, enrol_person

ADMIN = Actor(username="admin", role="admin")
COEFFICIENT = {"name": "coefficient", "type": "decimal", "min": "0.5", "max": "3"}


def _category(code: str, programme: str = "BTXH", parameters=None) -> dict:
    return {
        "code": code, "programme_code": programme, "name_vi": "Người nhiễm HIV thuộc hộ nghèo",
        "name_en": "Poor person living with HIV",
        "parameters": [COEFFICIENT] if parameters is None else parameters,
    }  # fmt: skip


def test_a_btxh_category_an_administrator_adds_is_paid_by_its_decisions_coefficient(session, session_factory):
    add_category(session, ADMIN, _category("BTXH_HIV_POOR"))
    session.commit()
    person, _ = enrol_person(session, "BTXH_HIV_POOR", date(2024, 7, 1), coefficient="1.5")

    summary = accrue(session_factory, Period(2024, 7), load_rate_set(session, "68"), actor=OFFICER)

    assert summary.problems == []
    assert -balance(session, accounts.payable(person)) == 750_000  # 1.5 × 500,000


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        (_category("NCC_NEW_GROUP", "NCC"), "programme", "NCC categories are paid by amounts fixed in law"),
        (_category("BTXH_NO_COEFFICIENT", parameters=[]), "parameters", "give it the parameter"),
    ],
)
def test_a_category_no_rule_can_pay_is_refused_when_added(session, values, field, says):
    with pytest.raises(InvalidInput, match=says) as refused:
        add_category(session, ADMIN, values)
    assert refused.value.extra["field"] == field


def test_the_accrual_job_names_the_enrolments_it_could_not_accrue(session, session_factory, settings):
    CategoryFactory(code="NCC_NO_RULE_YET", programme_code="NCC")  # written in by hand: no rule
    _person, enrolment = enrol_person(session, "NCC_NO_RULE_YET", date(2024, 7, 1))
    session.commit()
    context = JobContext(session_factory, settings, fixed_clock(datetime(2024, 7, 28, 2, 0, tzinfo=UTC)))

    with pytest.raises(PaymentsError) as failed:
        JOBS["accrue"](context)

    assert str(failed.value.detail) == (
        f"1 enrolment(s) could not be accrued for 2024-07: enrolment {enrolment} (2024-07): "
        f"enrolment {enrolment}: no entitlement rule for category 'NCC_NO_RULE_YET'"
    )
