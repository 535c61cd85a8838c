"""The in-memory rate set: lookups by code and day, provincial overrides, exact coefficients."""

from datetime import date
from fractions import Fraction

import pytest

from payments.entitlements.codes import Unit
from payments.entitlements.rateset import RateNotFound, RateRow, RateSet, coefficient_milli, coefficient_text
from payments.errors import InvalidInput, RuleViolation
from tests.unit.entitlements.builders import SEEDED, override, seeded_with


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2021, 6, 30), 270_000), (date(2021, 7, 1), 360_000), (date(2024, 6, 30), 360_000),
     (date(2024, 7, 1), 500_000), (date(2031, 1, 1), 500_000)],
)  # fmt: skip
def test_the_row_in_force_is_found_on_both_sides_of_each_boundary(day, expected):
    assert SEEDED.amount("btxh.standard_level", day)[0] == expected


def test_a_provincial_override_applies_only_to_its_province():
    rows = [*SEEDED.rows(), override("btxh.standard_level", "68", 600_000)]
    assert RateSet.from_rows(rows, "68").amount("btxh.standard_level", date(2024, 7, 1))[0] == 600_000
    assert RateSet.from_rows(rows, "60").amount("btxh.standard_level", date(2024, 7, 1))[0] == 500_000
    assert RateSet.from_rows(rows).amount("btxh.standard_level", date(2024, 7, 1))[0] == 500_000


def test_a_provincial_row_for_a_national_only_code_is_ignored():
    rates = seeded_with(override("ncc.war_invalid.21", "68", 9_999_000))
    assert rates.amount("ncc.war_invalid.21", date(2024, 7, 1))[0] == 1_878_000


def test_a_lower_provincial_figure_never_undercuts_the_national_one():
    rates = seeded_with(override("btxh.standard_level", "68", 450_000))
    amount, row = rates.amount("btxh.standard_level", date(2024, 7, 1))
    assert (amount, row.scope) == (500_000, "national")


def test_a_missing_figure_names_the_code_the_day_and_the_province():
    with pytest.raises(
        RateNotFound, match=r"'social_pension.amount' in force on 2025-06-01 \(national or province 68\)"
    ):
        seeded_with().amount("social_pension.amount", date(2025, 6, 1))


def test_overlapping_rows_cannot_make_a_rate_set():
    rows = [
        RateRow("btxh.standard_level", "national", date(2024, 1, 1), None, Unit.VND, 1),
        RateRow("btxh.standard_level", "national", date(2024, 7, 1), None, Unit.VND, 2),
    ]
    with pytest.raises(RuleViolation, match="overlapping"):
        RateSet.from_rows(rows)


def test_asking_for_a_coefficient_as_an_amount_is_a_programming_error():
    with pytest.raises(TypeError):
        SEEDED.amount("btxh.funeral_multiplier", date(2024, 7, 1))


def test_coefficients_are_exact_fractions():
    coefficient, _row = SEEDED.coefficient("ncc.nursing.home", date(2024, 7, 1))
    assert coefficient == Fraction(9, 10)


@pytest.mark.parametrize(
    ("text", "milli"), [("1.5", 1500), ("20", 20_000), ("0.9", 900), ("1.125", 1125), (2, 2000)]
)
def test_coefficients_parse_to_exact_thousandths_and_back(text, milli):
    assert coefficient_milli(text) == milli
    assert coefficient_milli(coefficient_text(milli)) == milli


@pytest.mark.parametrize("text", ["1.2345", "-1", "abc", "1e-4"])
def test_coefficients_that_are_not_exact_thousandths_are_refused(text):
    with pytest.raises(InvalidInput):
        coefficient_milli(text)
