"""The seeded data file holds every DOMAIN figure, honestly flagged, and tiles time."""

from datetime import date, timedelta
from itertools import groupby, pairwise

import pytest

from payments.entitlements.codes import RATE_CODES, WAR_INVALID_RATES, war_invalid_code
from payments.entitlements.seed import seed_rows
from tests.unit.entitlements.builders import SEEDED

ROWS = seed_rows()

# (code, a day in force, figure as DOMAIN.md states it, DOMAIN marks it [U])
DOMAIN_FIGURES = [
    ("btxh.standard_level", date(2021, 6, 30), 270_000, False),
    ("btxh.standard_level", date(2021, 7, 1), 360_000, False),
    ("btxh.standard_level", date(2024, 6, 30), 360_000, False),
    ("btxh.standard_level", date(2024, 7, 1), 500_000, False),
    ("ncc.standard_level", date(2023, 6, 30), 1_624_000, False),
    ("ncc.standard_level", date(2023, 7, 1), 2_055_000, True),
    ("ncc.standard_level", date(2024, 7, 1), 2_789_000, False),
    ("ncc.martyr_relative.1", date(2024, 7, 1), 2_789_000, False),
    ("ncc.martyr_relative.2", date(2024, 7, 1), 5_578_000, False),
    ("ncc.martyr_relative.3", date(2024, 7, 1), 8_367_000, False),
    ("ncc.heroic_mother", date(2024, 7, 1), 8_367_000, False),
    ("ncc.heroic_mother.supplement", date(2024, 7, 1), 2_337_000, False),
    ("ncc.war_invalid.21", date(2024, 7, 1), 1_878_000, False),
    ("ncc.war_invalid.41", date(2024, 7, 1), 3_667_000, False),
    ("ncc.war_invalid.61", date(2024, 7, 1), 5_450_000, False),
    ("ncc.war_invalid.81", date(2024, 7, 1), 7_240_000, False),
    ("ncc.war_invalid.90", date(2024, 7, 1), 8_050_000, False),
    ("social_pension.amount", date(2025, 7, 1), 500_000, False),
]
DOMAIN_COEFFICIENTS = [
    ("btxh.coef.elderly_poor_alone.60_79", "1.5", False),
    ("btxh.coef.elderly_poor_alone.80_plus", "2", False),
    ("btxh.coef.elderly_80_no_pension", "1", False),
    ("btxh.coef.disability_extreme", "2", False),
    ("btxh.coef.disability_extreme.child_or_elderly", "2.5", False),
    ("btxh.coef.disability_severe", "1.5", False),
    ("btxh.coef.disability_severe.child_or_elderly", "2", False),
    ("btxh.coef.single_parent.per_child", "1", False),
    ("btxh.coef.child_no_support.under_4", "2.5", True),
    ("btxh.coef.child_no_support.4_to_15", "1.5", True),
    ("btxh.funeral_multiplier", "20", False),
    ("ncc.nursing.home", "0.9", None),  # DOMAIN figure, but the start date is our assumption
    ("ncc.nursing.centre", "1.8", None),
]


@pytest.mark.parametrize(("code", "day", "figure", "flagged_u"), DOMAIN_FIGURES)
def test_every_domain_amount_is_seeded_and_u_figures_are_flagged(code, day, figure, flagged_u):
    amount, row = SEEDED.amount(code, day)
    assert amount == figure
    if flagged_u:
        assert row.unverified


@pytest.mark.parametrize(("code", "coefficient", "flagged_u"), DOMAIN_COEFFICIENTS)
def test_every_domain_coefficient_is_seeded_exactly(code, coefficient, flagged_u):
    row = SEEDED.row(code, date(2024, 7, 1))
    assert row.value_text() == coefficient
    if flagged_u is not None:
        assert row.unverified is flagged_u


def test_the_funeral_grant_at_500000_is_ten_million():
    multiplier, _ = SEEDED.coefficient("btxh.funeral_multiplier", date(2024, 7, 1))
    assert multiplier * SEEDED.amount("btxh.standard_level", date(2024, 7, 1))[0] == 10_000_000


def test_the_war_invalid_table_has_one_increasing_row_per_point_from_21_to_100():
    amounts = [SEEDED.amount(war_invalid_code(rate), date(2024, 7, 1))[0] for rate in WAR_INVALID_RATES]
    assert len(amounts) == 80
    steps = [b - a for a, b in pairwise(amounts)]
    assert all(80_000 <= step <= 100_000 for step in steps)  # a typo would stand out


def test_war_invalid_rows_not_stated_in_domain_are_flagged_with_their_source():
    flagged = [r for r in ROWS if r.code.startswith("ncc.war_invalid.") and r.unverified]
    assert len(flagged) == 75
    assert all("third-party" in r.source for r in flagged)


def test_every_row_has_a_source_and_every_flagged_row_says_why():
    assert all(row.source.strip() for row in ROWS)
    assert {r.code for r in ROWS if r.unverified} >= {
        "base_salary",
        "ncc.funeral_multiplier",
        "btxh.age.child_end",
    }


def test_every_known_code_has_figures_and_every_figure_has_a_known_code():
    assert {row.code for row in ROWS} == set(RATE_CODES)


def test_rows_of_one_code_follow_on_without_gap_or_overlap():
    ordered = sorted(ROWS, key=lambda r: (r.code, r.scope, r.valid_from))
    for _key, group in groupby(ordered, key=lambda r: (r.code, r.scope)):
        for before, after in pairwise(group):
            assert before.valid_to is not None
            assert before.valid_to + timedelta(days=1) == after.valid_from, before.code


def test_rows_begin_and_end_on_month_boundaries():
    for row in ROWS:
        assert row.valid_from.day == 1
        assert row.valid_to is None or (row.valid_to + timedelta(days=1)).day == 1
