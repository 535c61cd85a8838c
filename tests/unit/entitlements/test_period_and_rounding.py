from datetime import date
from fractions import Fraction

import pytest

from payments.entitlements.facts import PersonFacts
from payments.entitlements.period import Period
from payments.entitlements.rounding import round_half_up
from payments.errors import InvalidInput


@pytest.mark.parametrize(
    ("exact", "unit", "expected"),
    [
        (Fraction(1666665, 2), 1, 833_333),
        (Fraction(1666663, 2), 1, 833_332),
        (Fraction(2_510_100), 1_000, 2_510_000),
        (Fraction(2_510_500), 1_000, 2_511_000),
        (Fraction(2_510_499), 1_000, 2_510_000),
        (Fraction(1, 3), 1, 0),
        (0, 1, 0),
    ],
)
def test_the_rounding_rule_is_half_up_to_the_unit(exact, unit, expected):
    assert round_half_up(exact, unit) == expected


@pytest.mark.parametrize(("exact", "unit"), [(Fraction(-1, 2), 1), (Fraction(1), 0)])
def test_negative_amounts_and_silly_units_are_refused(exact, unit):
    with pytest.raises(ValueError, match=r"negative|unit"):
        round_half_up(exact, unit)


def test_periods_step_across_years_and_know_their_days():
    assert Period(2024, 12).next() == Period(2025, 1)
    assert Period(2025, 1).previous() == Period(2024, 12)
    assert (Period(2024, 2).first_day, Period(2024, 2).last_day) == (date(2024, 2, 1), date(2024, 2, 29))
    assert str(Period.parse("2024-07")) == "2024-07"


@pytest.mark.parametrize("text", ["2024-7", "2024-13", "July 2024", ""])
def test_a_bad_month_is_refused_with_the_expected_format(text):
    with pytest.raises(InvalidInput):
        Period.parse(text)


@pytest.mark.parametrize(
    ("born", "month", "age"),
    [(date(1944, 7, 20), Period(2024, 7), 80), (date(1944, 8, 1), Period(2024, 7), 79),
     (date(2000, 2, 29), Period(2021, 2), 21)],
)  # fmt: skip
def test_age_counts_from_the_month_of_the_birthday(born, month, age):
    assert PersonFacts(1, born).age_in(month) == age
