"""Amounts for people with meritorious service: fixed amounts from the decree's annexes.

Unlike BTXH, each NCC enrolment is paid in full: a war invalid who is also a martyr's
relative receives both.
"""

from datetime import date
from typing import Any

from payments.entitlements.categories import HEROIC_MOTHER, MARTYR_RELATIVE, WAR_INVALID
from payments.entitlements.codes import WAR_INVALID_RATES, martyr_relative_code, war_invalid_code
from payments.entitlements.facts import Component, EnrolmentFacts, NursingPlace
from payments.entitlements.period import Period
from payments.entitlements.rateset import RateSet, coefficient_text
from payments.entitlements.rounding import round_half_up
from payments.errors import InvalidInput

_FIXED = "NCC: fixed monthly amount from the decree's annex (Decree 75/2021 as amended by 55/2023, 77/2024)"


def components(enrolment: EnrolmentFacts, period: Period, rates: RateSet) -> list[Component]:
    if enrolment.category == WAR_INVALID:
        return [_fixed(enrolment, period, rates, WAR_INVALID, war_invalid_code(_injury_rate(enrolment)))]
    if enrolment.category == MARTYR_RELATIVE:
        code = martyr_relative_code(_martyr_count(enrolment))
        return [_fixed(enrolment, period, rates, MARTYR_RELATIVE, code)]
    if enrolment.category == HEROIC_MOTHER:
        supplement = f"{HEROIC_MOTHER}.supplement"
        return [
            _fixed(enrolment, period, rates, HEROIC_MOTHER, HEROIC_MOTHER),
            _fixed(enrolment, period, rates, supplement, supplement),
        ]
    raise InvalidInput(f"enrolment {enrolment.enrolment_id}: {enrolment.category!r} is not an NCC category")


def nursing_care(enrolment: EnrolmentFacts, place: NursingPlace, period: Period, rates: RateSet) -> Component:
    """Nursing care (điều dưỡng) for one occasion: coefficient × NCC standard level, rounded
    to the NCC rounding unit (Decree 75/2021 Art. 3(2) and 6)."""
    day = period.first_day
    coefficient, coefficient_row = rates.coefficient(f"ncc.nursing.{place.value}", day)
    standard, standard_row = rates.amount("ncc.standard_level", day)
    unit, unit_row = rates.amount("ncc.rounding_unit", day)
    explanation = {
        "rule": "NCC nursing care: coefficient × NCC standard level, per person per occasion",
        "place": place.value,
        "coefficient": coefficient_text(int(coefficient * 1000)),
        "standard_level_vnd": standard,
        "rounding": f"half up to {unit} đồng",
        "rate_rows": [r.describe() for r in (standard_row, coefficient_row, unit_row)],
    }
    amount = round_half_up(standard * coefficient, unit)
    return Component(enrolment.enrolment_id, period, f"ncc.nursing.{place.value}", amount, explanation)


def _fixed(enrolment: EnrolmentFacts, period: Period, rates: RateSet, component: str, code: str) -> Component:
    amount, explanation = rates.derived(
        _fixed_amount,
        code,
        enrolment.category,
        enrolment.injury_rate,
        enrolment.martyr_count,
        period.first_day,
    )
    return Component(enrolment.enrolment_id, period, component, amount, explanation)


def _fixed_amount(  # noqa: PLR0917 - called through RateSet.derived, which passes its key positionally
    rates: RateSet, code: str, category: str, injury_rate: int | None, martyr_count: int | None, day: date
) -> tuple[int, dict[str, Any]]:
    """The annex amount and its explanation: the same for everyone with these facts, so a run
    computes it once (RateSet.derived)."""
    amount, row = rates.amount(code, day)
    explanation = {
        "rule": _FIXED,
        "category": category,
        "injury_rate": injury_rate,
        "martyr_count": martyr_count,
        "rate_rows": [row.describe()],
    }
    return amount, explanation


def _injury_rate(enrolment: EnrolmentFacts) -> int:
    rate = enrolment.injury_rate
    if rate is None or rate not in WAR_INVALID_RATES:
        raise InvalidInput(
            f"enrolment {enrolment.enrolment_id}: a war invalid's monthly allowance needs an injury rate "
            f"from 21 to 100 %, not {rate}"
        )
    return rate


def _martyr_count(enrolment: EnrolmentFacts) -> int:
    if not enrolment.martyr_count or enrolment.martyr_count < 1:
        raise InvalidInput(f"enrolment {enrolment.enrolment_id}: a martyr's relative needs martyr_count ≥ 1")
    return enrolment.martyr_count
