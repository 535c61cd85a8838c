"""DOMAIN rules as tables with exact amounts, on the seeded figures (data/rates.json)."""

from datetime import date

import pytest

from payments.entitlements.calculator import assess_month, calculate_month, funeral_grant, nursing_care_grant
from payments.entitlements.facts import NursingPlace, Status
from payments.entitlements.period import Period
from payments.entitlements.rateset import RateNotFound
from payments.errors import InvalidInput, RuleViolation
from tests.unit.entitlements.builders import SEEDED, btxh, ncc, override, person, seeded_with


def amounts(components) -> dict[str, int]:
    return {c.code: c.amount_vnd for c in components}


def total(facts_person, enrolments, month: str, rates=SEEDED) -> int:
    return sum(c.amount_vnd for c in calculate_month(facts_person, enrolments, Period.parse(month), rates))


@pytest.mark.parametrize(
    ("injury_rate", "expected"),
    [(21, 1_878_000), (41, 3_667_000), (61, 5_450_000), (81, 7_240_000), (90, 8_050_000), (100, 8_941_000)],
)
def test_a_war_invalid_is_paid_the_table_row_of_the_injury_rate(injury_rate, expected):
    war_invalid = ncc("ncc.war_invalid", injury_rate=injury_rate)
    assert amounts(calculate_month(person(), [war_invalid], Period(2024, 7), SEEDED)) == {
        "ncc.war_invalid": expected
    }


@pytest.mark.parametrize(
    ("month", "expected"),
    [("2024-06", 0), ("2024-07", 0), ("2024-08", 750_000), ("2024-09", 750_000)],
)
def test_entitlement_starts_in_the_month_the_decision_is_signed(month, expected):
    signed_20_august = btxh("btxh.elderly_poor_alone", signed=date(2024, 8, 20))
    assert total(person(date(1955, 1, 1)), [signed_20_august], month) == expected


def test_a_later_start_month_on_the_decision_defers_the_first_payment():
    deferred = btxh("btxh.elderly_poor_alone", signed=date(2024, 8, 20), start_month=Period(2024, 10))
    assert [total(person(date(1955, 1, 1)), [deferred], m) for m in ("2024-09", "2024-10")] == [0, 750_000]


@pytest.mark.parametrize(
    ("month", "expected"),
    [("2024-08", 1_878_000), ("2024-09", 1_878_000), ("2024-10", 0), ("2025-01", 0)],
)
def test_entitlement_stops_from_the_month_after_death(month, expected):
    died_3_september = person(date_of_death=date(2024, 9, 3))
    assert total(died_3_september, [ncc("ncc.war_invalid", injury_rate=21)], month) == expected


def test_the_month_after_death_carries_a_note_naming_the_rule():
    died = person(date_of_death=date(2024, 9, 3))
    assessment = assess_month(died, [ncc("ncc.war_invalid", injury_rate=21)], Period(2024, 10), SEEDED)
    assert assessment.components == ()
    assert assessment.notes[0].rule == "DOMAIN rule 2"
    assert "2024-09-03" in assessment.notes[0].reason


@pytest.mark.parametrize(
    ("month", "expected"),
    [("2024-06", 540_000), ("2024-07", 750_000)],
)
def test_coefficient_one_and_a_half_follows_the_standard_level_in_force(month, expected):
    aged_70 = person(date(1954, 3, 1))
    assert total(aged_70, [btxh("btxh.elderly_poor_alone")], month) == expected


def test_a_person_in_several_btxh_categories_is_paid_the_highest_coefficient_only():
    aged_65 = person(date(1959, 1, 1))
    enrolment = btxh(
        "btxh.elderly_poor_alone", extra_categories=("btxh.disability_severe", "btxh.disability_extreme")
    )
    components = calculate_month(aged_65, [enrolment], Period(2024, 7), SEEDED)
    assert amounts(components) == {"btxh.monthly": 1_250_000}  # extreme disability, elderly: 2.5
    assert components[0].explanation["coefficient"] == "2.5"


def test_the_highest_coefficient_wins_across_separate_enrolments_too():
    aged_65 = person(date(1959, 1, 1))
    enrolments = [
        btxh("btxh.elderly_poor_alone", enrolment_id=1),
        btxh("btxh.disability_severe", enrolment_id=2),
    ]
    assessment = assess_month(aged_65, enrolments, Period(2024, 7), SEEDED)
    assert [(c.enrolment_id, c.amount_vnd) for c in assessment.components] == [(2, 1_000_000)]
    assert [(n.enrolment_id, n.rule) for n in assessment.notes] == [(1, "DOMAIN rule 3")]


def test_btxh_and_social_pension_pay_only_the_higher_btxh_here():
    aged_76 = person(date(1949, 5, 10))
    enrolments = [
        btxh("btxh.elderly_poor_alone", enrolment_id=1),
        btxh("btxh.social_pension", signed=date(2025, 7, 1), enrolment_id=2),
    ]
    components = calculate_month(aged_76, enrolments, Period(2025, 7), SEEDED)
    assert amounts(components) == {"btxh.monthly": 750_000}


def test_btxh_and_social_pension_pay_only_the_higher_social_pension_here():
    province_pays_more = seeded_with(override("social_pension.amount", "68", 800_000, date(2025, 7, 1)))
    aged_76 = person(date(1949, 5, 10))
    enrolments = [
        btxh("btxh.elderly_poor_alone", enrolment_id=1),
        btxh("btxh.social_pension", signed=date(2025, 7, 1), enrolment_id=2),
    ]
    components = calculate_month(aged_76, enrolments, Period(2025, 7), province_pays_more)
    assert amounts(components) == {"social_pension.monthly": 800_000}


@pytest.mark.parametrize(
    ("born", "has_pension", "expected"),
    [
        (date(1950, 7, 31), False, 500_000),  # turns 75 on the month's last day: due for July
        (date(1950, 8, 1), False, 0),  # 74 in July 2025
        (date(1940, 1, 1), True, 0),  # has a pension
    ],
)
def test_the_social_pension_needs_the_minimum_age_and_no_pension(born, has_pension, expected):
    enrolment = btxh("btxh.social_pension", signed=date(2025, 7, 1))
    assert total(person(born, has_pension=has_pension), [enrolment], "2025-07") == expected


@pytest.mark.parametrize(
    ("category", "born", "month", "expected"),
    [
        ("btxh.disability_extreme", date(2014, 1, 1), "2024-07", 1_250_000),  # child: 2.5
        ("btxh.disability_extreme", date(1990, 1, 1), "2024-07", 1_000_000),  # adult: 2.0
        ("btxh.disability_extreme", date(1964, 7, 31), "2024-07", 1_250_000),  # 60 this month: 2.5
        ("btxh.disability_severe", date(1990, 1, 1), "2024-07", 750_000),  # adult: 1.5
        ("btxh.disability_severe", date(1950, 1, 1), "2024-07", 1_000_000),  # elderly: 2.0
        ("btxh.elderly_poor_alone", date(1944, 7, 20), "2024-06", 540_000),  # 79: 1.5 × 360,000
        ("btxh.elderly_poor_alone", date(1944, 7, 20), "2024-07", 1_000_000),  # 80 this month: 2.0
        ("btxh.elderly_poor_alone", date(1970, 1, 1), "2024-07", 0),  # 54: not elderly
        ("btxh.elderly_80_no_pension", date(1940, 1, 1), "2024-07", 500_000),  # 1.0
        ("btxh.child_no_support", date(2021, 8, 1), "2024-07", 1_250_000),  # 2: 2.5
        ("btxh.child_no_support", date(2020, 6, 1), "2024-07", 750_000),  # 4: 1.5
        # A birthday month that leaves a band is still paid at the band left when it pays more
        # (DOMAIN rule 2: stops from the month after; rule 3: the highest coefficient only).
        ("btxh.child_no_support", date(2020, 7, 1), "2024-07", 1_250_000),  # turns 4: still 2.5
        ("btxh.child_no_support", date(2020, 7, 1), "2024-08", 750_000),  # 4: 1.5
        ("btxh.child_no_support", date(2008, 7, 20), "2024-07", 750_000),  # turns 16: still due
        ("btxh.child_no_support", date(2008, 7, 1), "2024-07", 750_000),  # 16 on the 1st: still due
        ("btxh.child_no_support", date(2008, 7, 20), "2024-08", 0),  # 16: no longer a child
        ("btxh.disability_extreme", date(2008, 7, 10), "2024-07", 1_250_000),  # turns 16: child's 2.5
        ("btxh.disability_extreme", date(2008, 7, 10), "2024-08", 1_000_000),  # adult: 2.0
    ],
)
def test_btxh_coefficients_by_category_and_age(category, born, month, expected):
    assert total(person(born), [btxh(category)], month) == expected


def test_a_poor_single_parent_is_paid_the_coefficient_per_child_raised():
    parent = btxh("btxh.single_parent", children_count=3)
    assert total(person(date(1990, 1, 1)), [parent], "2024-07") == 1_500_000


def test_eighty_or_over_without_pension_is_not_paid_to_someone_with_a_pension():
    assert (
        total(person(date(1940, 1, 1), has_pension=True), [btxh("btxh.elderly_80_no_pension")], "2024-07")
        == 0
    )


@pytest.mark.parametrize(
    ("standard", "coefficient", "expected"),
    [
        (555_555, "1.5", 833_333),  # 833,332.5 rounds half up
        (500_001, "1.5", 750_002),  # 750,001.5
        (500_003, "2.5", 1_250_008),  # 1,250,007.5
        (500_001, "1.25", 625_001),  # 625,001.25 rounds down
        (500_003, "1.125", 562_503),  # 562,503.375
    ],
)
def test_fractional_products_are_rounded_half_up_to_whole_dong(standard, coefficient, expected):
    rates = seeded_with(
        override("btxh.standard_level", "68", standard),
        override("btxh.coef.disability_severe", "national", coefficient, date(2021, 7, 1)),
    )
    components = calculate_month(
        person(date(1990, 1, 1)), [btxh("btxh.disability_severe")], Period(2024, 7), rates
    )
    assert amounts(components) == {"btxh.monthly": expected}


def test_a_province_standard_level_below_the_national_one_is_never_used():
    rates = seeded_with(override("btxh.standard_level", "68", 400_000))
    assert total(person(date(1990, 1, 1)), [btxh("btxh.disability_severe")], "2024-07", rates) == 750_000


@pytest.mark.parametrize(
    ("martyrs", "month", "expected"),
    [
        (1, "2024-07", 2_789_000),
        (2, "2024-07", 5_578_000),
        (3, "2024-07", 8_367_000),
        (5, "2024-07", 8_367_000),  # three or more
        (1, "2024-06", 2_055_000),  # 2023 figures: unverified transcription of Decree 55/2023
        (3, "2023-07", 6_165_000),
    ],
)
def test_a_martyrs_relative_is_paid_by_number_of_martyrs(martyrs, month, expected):
    assert total(person(), [ncc("ncc.martyr_relative", martyr_count=martyrs)], month) == expected


def test_a_heroic_mother_is_paid_the_amount_and_the_supplement():
    components = calculate_month(
        person(date(1930, 1, 1)), [ncc("ncc.heroic_mother")], Period(2024, 7), SEEDED
    )
    assert amounts(components) == {"ncc.heroic_mother": 8_367_000, "ncc.heroic_mother.supplement": 2_337_000}


def test_ncc_enrolments_are_each_paid_in_full_beside_btxh():
    enrolments = [
        ncc("ncc.war_invalid", injury_rate=41, enrolment_id=1),
        ncc("ncc.martyr_relative", martyr_count=1, enrolment_id=2),
        btxh("btxh.elderly_poor_alone", enrolment_id=3),
    ]
    assert total(person(date(1950, 1, 1)), enrolments, "2024-07") == 3_667_000 + 2_789_000 + 750_000


@pytest.mark.parametrize(
    ("status", "end_month", "month", "expected"),
    [
        (Status.SUSPENDED, None, "2024-07", 0),
        (Status.TERMINATED, None, "2024-07", 0),
        (Status.TERMINATED, Period(2024, 8), "2024-08", 1_878_000),  # loss of eligibility in August
        (Status.TERMINATED, Period(2024, 8), "2024-09", 0),
        (Status.ACTIVE, Period(2024, 8), "2024-09", 0),  # moved away: closed at the old commune
    ],
)
def test_suspension_termination_and_end_month(status, end_month, month, expected):
    enrolment = ncc("ncc.war_invalid", injury_rate=21, status=status, end_month=end_month)
    assert total(person(), [enrolment], month) == expected


def test_the_explanation_names_the_rule_rows_coefficient_standard_level_and_dates():
    component = calculate_month(
        person(date(1954, 3, 1)),
        [btxh("btxh.elderly_poor_alone", signed=date(2024, 8, 20))],
        Period(2024, 9),
        SEEDED,
    )[0]
    explanation = component.explanation
    assert "highest coefficient" in explanation["rule"]
    assert explanation["coefficient"] == "1.5"
    assert explanation["standard_level_vnd"] == 500_000
    assert (explanation["period"], explanation["decision_date"], explanation["due_from"]) == (
        "2024-09",
        "2024-08-20",
        "2024-08",
    )
    standard = next(r for r in explanation["rate_rows"] if r["code"] == "btxh.standard_level")
    assert (standard["valid_from"], standard["valid_to"], standard["value"]) == ("2024-07-01", None, 500_000)


def test_an_explanation_flags_an_unverified_figure():
    component = calculate_month(person(), [ncc("ncc.war_invalid", injury_rate=22)], Period(2024, 7), SEEDED)[
        0
    ]
    assert component.amount_vnd == 1_969_000
    assert component.explanation["rate_rows"][0]["unverified"] is True


def test_a_month_without_figures_is_an_error_not_a_zero():
    with pytest.raises(RateNotFound, match=r"ncc\.war_invalid\.21.*2024-06-01"):
        calculate_month(person(), [ncc("ncc.war_invalid", injury_rate=21)], Period(2024, 6), SEEDED)


@pytest.mark.parametrize(
    "enrolment",
    [
        ncc("ncc.war_invalid", injury_rate=20),
        ncc("ncc.war_invalid"),
        ncc("ncc.martyr_relative", martyr_count=0),
        ncc("btxh.elderly_poor_alone"),
        btxh("btxh.single_parent"),
        btxh("btxh.unknown"),
    ],
)
def test_inconsistent_facts_are_refused_with_the_enrolment_named(enrolment):
    with pytest.raises(InvalidInput, match="enrolment 1"):
        calculate_month(person(), [enrolment], Period(2024, 7), SEEDED)


def test_the_funeral_grant_is_twenty_standard_levels_for_the_month_after_death():
    died = person(date(1940, 1, 1), date_of_death=date(2024, 9, 3))
    grant = funeral_grant(died, [btxh("btxh.elderly_poor_alone")], SEEDED)
    assert (grant.period, grant.code, grant.amount_vnd) == (Period(2024, 10), "funeral_grant", 10_000_000)


def test_only_the_highest_applicable_funeral_grant_is_paid():
    died = person(date(1940, 1, 1), date_of_death=date(2024, 9, 3))
    enrolments = [
        btxh("btxh.elderly_poor_alone", enrolment_id=1),
        ncc("ncc.war_invalid", injury_rate=30, enrolment_id=2),
    ]
    grant = funeral_grant(died, enrolments, SEEDED)
    assert (grant.enrolment_id, grant.amount_vnd) == (
        2,
        23_400_000,
    )  # 10 × base salary 2,340,000 (unverified)
    assert [c["amount_vnd"] for c in grant.explanation["compared"]] == [10_000_000, 23_400_000]


@pytest.mark.parametrize(
    ("died", "signed"),
    [(None, date(2021, 7, 1)), (date(2024, 9, 3), date(2024, 10, 1))],
)
def test_no_funeral_grant_while_alive_or_without_an_enrolment_due_at_death(died, signed):
    assert (
        funeral_grant(person(date_of_death=died), [btxh("btxh.elderly_poor_alone", signed=signed)], SEEDED)
        is None
    )


@pytest.mark.parametrize(
    ("place", "expected"), [(NursingPlace.HOME, 2_510_000), (NursingPlace.CENTRE, 5_020_000)]
)
def test_nursing_care_is_a_multiple_of_the_ncc_standard_rounded_to_thousands(place, expected):
    grant = nursing_care_grant(
        ncc("ncc.war_invalid", injury_rate=61), person(), place, Period(2024, 8), SEEDED
    )
    assert grant.amount_vnd == expected  # 0.9 × 2,789,000 = 2,510,100; 1.8 × = 5,020,200


def test_nursing_care_is_refused_for_a_btxh_enrolment():
    with pytest.raises(RuleViolation, match="NCC"):
        nursing_care_grant(
            btxh("btxh.disability_severe"), person(), NursingPlace.HOME, Period(2024, 8), SEEDED
        )
