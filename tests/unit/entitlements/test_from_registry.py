"""Registry facts become calculator facts, and every registry category has a rule."""

import csv
from dataclasses import replace
from datetime import date

import pytest

from payments.entitlements.calculator import calculate_month
from payments.entitlements.categories import KNOWN_CATEGORIES, REGISTRY_CATEGORIES
from payments.entitlements.facts import Programme, Status
from payments.entitlements.from_registry import calculator_facts
from payments.entitlements.period import Period
from payments.errors import InvalidInput
from payments.registry.facts import EnrolmentFacts as RegistryEnrolment
from payments.registry.seed import DATA_DIR
from tests.unit.entitlements.builders import SEEDED, override, seeded_with

WAR_INVALID = RegistryEnrolment(
    enrolment_id=7,
    beneficiary_id=3,
    programme="NCC",
    category_code="NCC_WAR_INVALID",
    parameters={"injury_rate": 21},
    decision_number="12/QĐ-UBND",
    decision_date=date(2024, 8, 20),
    start_month=date(2024, 8, 1),
    end_month=None,
    status="active",
    status_reason=None,
    version=1,
    effective_date=date(2024, 8, 20),
    date_of_birth=date(1950, 1, 1),
    sex="M",
    death_date=date(2024, 9, 3),
    commune_code="22768",
    current_commune_code="22768",
)


def test_every_registry_category_has_a_calculator_rule():
    with (DATA_DIR / "categories.csv").open(encoding="utf-8") as handle:
        codes = {row["code"] for row in csv.DictReader(handle)}
    assert codes == set(REGISTRY_CATEGORIES)
    assert set(REGISTRY_CATEGORIES.values()) <= KNOWN_CATEGORIES


def test_a_registry_war_invalid_is_paid_from_the_decision_month_until_death():
    person, enrolment = calculator_facts(WAR_INVALID)
    assert (person.person_id, enrolment.programme, enrolment.status) == (3, Programme.NCC, Status.ACTIVE)
    owed = [
        sum(c.amount_vnd for c in calculate_month(person, [enrolment], Period(2024, m), SEEDED))
        for m in (7, 8, 9, 10)
    ]
    assert owed == [0, 1_878_000, 1_878_000, 0]


def test_a_provincial_category_uses_the_decisions_coefficient_rounded_half_up():
    facts = replace(
        WAR_INVALID,
        programme="BTXH",
        category_code="BTXH_PROVINCIAL_OTHER",
        parameters={"coefficient": "0.9"},
        death_date=None,
    )
    person, enrolment = calculator_facts(facts)
    province_68 = seeded_with(override("btxh.standard_level", "68", 555_555))
    components = calculate_month(person, [enrolment], Period(2024, 9), province_68)
    assert [(c.code, c.amount_vnd) for c in components] == [("btxh.monthly", 500_000)]  # 499,999.5
    assert components[0].explanation["coefficient_from"] == "the provincial decision"


def test_an_unknown_registry_category_is_refused():
    with pytest.raises(InvalidInput, match="NCC_SOMETHING_NEW"):
        calculator_facts(replace(WAR_INVALID, category_code="NCC_SOMETHING_NEW"))
