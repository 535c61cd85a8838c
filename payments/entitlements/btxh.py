"""Social assistance amounts: standard level × coefficient, and the social pension.

Each applicable category of each due enrolment gives a candidate; the calculator then pays
the single highest one (DOMAIN rule 3).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from payments.entitlements.categories import BTXH_CATEGORIES, PROVINCIAL_OTHER, SOCIAL_PENSION, Band
from payments.entitlements.facts import EnrolmentFacts, Note, PersonFacts
from payments.entitlements.period import Period
from payments.entitlements.rateset import MILLI, RateRow, RateSet, coefficient_milli, coefficient_text
from payments.entitlements.rounding import round_half_up
from payments.errors import InvalidInput

BTXH_MONTHLY = "btxh.monthly"
SOCIAL_PENSION_MONTHLY = "social_pension.monthly"


@dataclass(frozen=True)
class Candidate:
    enrolment_id: int
    category: str
    code: str
    amount_vnd: int
    explanation: dict[str, Any]

    def rank(self) -> tuple[int, bool, int, str]:
        # Highest amount; on a tie the BTXH allowance (already paid) stays; then a stable order.
        return (self.amount_vnd, self.code == BTXH_MONTHLY, -self.enrolment_id, self.category)

    def summary(self) -> dict[str, Any]:
        return {"enrolment_id": self.enrolment_id, "category": self.category, "amount_vnd": self.amount_vnd}


def candidates(
    enrolment: EnrolmentFacts, person: PersonFacts, period: Period, rates: RateSet
) -> tuple[list[Candidate], list[Note]]:
    found: list[Candidate] = []
    notes: list[Note] = []
    for category in enrolment.categories:
        if category == SOCIAL_PENSION:
            result = _social_pension(enrolment, person, period, rates)
        elif category == PROVINCIAL_OTHER:
            result = _provincial(enrolment, period, rates)
        elif category in BTXH_CATEGORIES:
            result = _coefficient(enrolment, category, person, period, rates)
        else:
            raise InvalidInput(f"enrolment {enrolment.enrolment_id}: {category!r} is not a BTXH category")
        if isinstance(result, Candidate):
            found.append(result)
        else:
            notes.append(result)
    return found, notes


def _coefficient(
    enrolment: EnrolmentFacts, category: str, person: PersonFacts, period: Period, rates: RateSet
) -> Candidate | Note:
    day, ages = period.first_day, _ages(person, period)
    band, _age_rows = rates.derived(_band, category, ages, day)
    if band is None:
        return Note(enrolment.enrolment_id, "eligibility", f"{category} does not apply at age {ages[1]}")
    if band.without_pension and person.has_pension:
        return Note(enrolment.enrolment_id, "eligibility", f"{category} is only for people without a pension")
    children = _children(enrolment) if band.per_child else None
    amount, explanation = rates.derived(_banded_amount, category, band, ages, children, day)
    return Candidate(enrolment.enrolment_id, category, BTXH_MONTHLY, amount, explanation)


def _ages(person: PersonFacts, period: Period) -> tuple[int, int]:
    """(age at the end of the month before, age at the end of this one): they differ in the
    birthday month. An age that opens a band counts from the birthday month (someone turning
    80 in July is 80 for all of July); an age that closes one counts from the month after it
    (DOMAIN rule 2: a child turning 16 in July is still due July, not August)."""
    return person.age_in(period.previous()), person.age_in(period)


def _banded_amount(  # noqa: PLR0917 - called through RateSet.derived, which passes its key positionally
    rates: RateSet, category: str, band: Band, ages: tuple[int, int], children: int | None, day: date
) -> tuple[int, dict[str, Any]]:
    """What `band` of the category pays at these ages (× children for a per-child band), with its
    explanation: the same for everyone who shares these, so a run computes it once."""
    age = ages[1]
    _band_at_age, age_rows = rates.derived(_band, category, ages, day)
    coefficient, coefficient_row = rates.coefficient(band.coefficient_code, day)
    multiplier = coefficient * children if children else coefficient
    extra = {"age": age, "children": children}
    return _product(rates, category, multiplier, used=(coefficient_row, *age_rows), extra=extra, day=day)


def _provincial(enrolment: EnrolmentFacts, period: Period, rates: RateSet) -> Candidate:
    if not enrolment.coefficient:
        raise InvalidInput(
            f"enrolment {enrolment.enrolment_id}: {PROVINCIAL_OTHER} needs the decision's coefficient"
        )
    amount, explanation = rates.derived(_provincial_amount, enrolment.coefficient, period.first_day)
    return Candidate(enrolment.enrolment_id, PROVINCIAL_OTHER, BTXH_MONTHLY, amount, explanation)


def _provincial_amount(rates: RateSet, decided: str, day: date) -> tuple[int, dict[str, Any]]:
    coefficient = Fraction(coefficient_milli(decided), MILLI)
    extra = {"coefficient_from": "the provincial decision"}
    return _product(rates, PROVINCIAL_OTHER, coefficient, used=(), extra=extra, day=day)


def _product(
    rates: RateSet,
    category: str,
    coefficient: Fraction,
    *,
    used: tuple[RateRow, ...],
    extra: dict[str, Any],
    day: date,
) -> tuple[int, dict[str, Any]]:
    """standard level × coefficient, exact, then rounded once; with its explanation."""
    standard, standard_row = rates.amount("btxh.standard_level", day)
    unit, unit_row = rates.amount("btxh.rounding_unit", day)
    exact = standard * coefficient
    explanation = {
        "rule": "BTXH: standard level × the single highest coefficient (Decree 20/2021; DOMAIN rule 3)",
        "category": category,
        **extra,
        "coefficient": coefficient_text(int(coefficient * MILLI)),
        "standard_level_vnd": standard,
        "exact_vnd": _exact_text(exact),
        "rounding": f"half up to {unit} đồng",
        "rate_rows": [r.describe() for r in (standard_row, *used, unit_row)],
    }
    return round_half_up(exact, unit), explanation


def _social_pension(
    enrolment: EnrolmentFacts, person: PersonFacts, period: Period, rates: RateSet
) -> Candidate | Note:
    day, age = period.first_day, person.age_in(period)
    min_age, _age_row = rates.years("social_pension.min_age", day)
    if person.has_pension:
        return Note(
            enrolment.enrolment_id, "eligibility", "the social pension is only for people without a pension"
        )
    if age < min_age:
        return Note(
            enrolment.enrolment_id, "eligibility", f"the social pension starts at {min_age}; age {age}"
        )
    amount, explanation = rates.derived(_social_pension_amount, age, day)
    return Candidate(enrolment.enrolment_id, SOCIAL_PENSION, SOCIAL_PENSION_MONTHLY, amount, explanation)


def _social_pension_amount(rates: RateSet, age: int, day: date) -> tuple[int, dict[str, Any]]:
    _min_age, age_row = rates.years("social_pension.min_age", day)
    amount, amount_row = rates.amount("social_pension.amount", day)
    explanation = {
        "rule": "Social pension for people of the minimum age without a pension (DOMAIN)",
        "category": SOCIAL_PENSION,
        "age": age,
        "rate_rows": [amount_row.describe(), age_row.describe()],
    }
    return amount, explanation


def _band(
    rates: RateSet, category: str, ages: tuple[int, int], day: date
) -> tuple[Band | None, tuple[RateRow, ...]]:
    """The category's band for a month the person's ages (see `_ages`) span, and the age-limit
    rows that say so. In a birthday month that leaves one band for the next, both cover it and
    the one with the higher coefficient is paid (DOMAIN rule 3: only the highest)."""
    before, after = ages
    covering: list[tuple[Fraction, Band, tuple[RateRow, ...]]] = []
    for band in BTXH_CATEGORIES[category]:
        used: list[RateRow] = []
        low = _age_limit(band.from_age, day, rates, used)
        high = _age_limit(band.below_age, day, rates, used)
        if (low is None or after >= low) and (high is None or before < high):
            coefficient, _row = rates.coefficient(band.coefficient_code, day)
            covering.append((coefficient, band, tuple(used)))
    if not covering:
        return None, ()
    _coefficient_of_best, band, used_rows = max(covering, key=lambda found: found[0])
    return band, used_rows


def _age_limit(code: str | None, day: date, rates: RateSet, used: list[RateRow]) -> int | None:
    if code is None:
        return None
    years, row = rates.years(code, day)
    used.append(row)
    return years


def _children(enrolment: EnrolmentFacts) -> int:
    if not enrolment.children_count or enrolment.children_count < 1:
        raise InvalidInput(
            f"enrolment {enrolment.enrolment_id}: a single parent's enrolment needs children_count ≥ 1"
        )
    return enrolment.children_count


def _exact_text(value: Fraction) -> str:
    # Coefficients are thousandths, so the exact product always has a short decimal form.
    return format(Decimal(value.numerator) / Decimal(value.denominator), "f")
