"""Small builders for calculator tests: facts with sensible defaults, and rate sets."""

from dataclasses import replace
from datetime import date
from fractions import Fraction

from payments.entitlements.codes import RATE_CODES
from payments.entitlements.facts import EnrolmentFacts, PersonFacts, Programme
from payments.entitlements.rateset import RateRow, RateSet
from payments.entitlements.seed import seed_rate_set, seed_rows

SEEDED = seed_rate_set()


def person(born: date = date(1950, 1, 1), **changes: object) -> PersonFacts:
    return replace(PersonFacts(person_id=1, date_of_birth=born), **changes)


def btxh(
    category: str, signed: date = date(2021, 7, 1), enrolment_id: int = 1, **changes: object
) -> EnrolmentFacts:
    facts = EnrolmentFacts(enrolment_id, Programme.BTXH, category, decision_date=signed)
    return replace(facts, **changes)


def ncc(
    category: str, signed: date = date(2023, 7, 1), enrolment_id: int = 1, **changes: object
) -> EnrolmentFacts:
    facts = EnrolmentFacts(enrolment_id, Programme.NCC, category, decision_date=signed)
    return replace(facts, **changes)


def override(code: str, scope: str, value: int | str, valid_from: date = date(2024, 7, 1)) -> RateRow:
    unit = RATE_CODES[code].unit
    figure = Fraction(value) if isinstance(value, str) else value
    return RateRow(code, scope, valid_from, None, unit, figure, source="test override")


def seeded_with(*rows: RateRow, province: str | None = "68") -> RateSet:
    """The seeded figures plus extra rows (provincial overrides, or replacements by code)."""
    replaced = {(r.code, r.scope) for r in rows}
    kept = [r for r in seed_rows() if (r.code, r.scope) not in replaced]
    return RateSet.from_rows([*kept, *rows], province)
