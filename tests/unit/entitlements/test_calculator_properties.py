"""Properties of the calculator over generated people, enrolments and months (hypothesis)."""

import random
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from payments.entitlements.btxh import BTXH_MONTHLY, SOCIAL_PENSION_MONTHLY
from payments.entitlements.calculator import assess_month, calculate_month
from payments.entitlements.categories import BTXH_CATEGORIES
from payments.entitlements.facts import EnrolmentFacts, PersonFacts, Programme, Status
from payments.entitlements.period import Period
from tests.unit.entitlements.builders import SEEDED

MONTHLY_BTXH = {BTXH_MONTHLY, SOCIAL_PENSION_MONTHLY}

periods = st.builds(Period, st.integers(2024, 2027), st.integers(1, 12)).filter(
    lambda p: p >= Period(2024, 7)
)
days = st.dates(date(2021, 7, 1), date(2027, 12, 31))


@st.composite
def people(draw) -> PersonFacts:
    born = draw(st.dates(date(1925, 1, 1), date(2024, 6, 1)))
    died = draw(st.none() | st.dates(born + timedelta(days=1), date(2027, 12, 31)))
    return PersonFacts(1, born, died, draw(st.booleans()))


@st.composite
def btxh_enrolments(draw, enrolment_id: int) -> EnrolmentFacts:
    categories = draw(st.lists(st.sampled_from(sorted(BTXH_CATEGORIES)), min_size=1, max_size=3))
    pension = draw(st.booleans())
    signed = draw(st.dates(date(2025, 7, 1), date(2027, 12, 31)) if pension else days)
    return EnrolmentFacts(
        enrolment_id,
        Programme.BTXH,
        "btxh.social_pension" if pension else categories[0],
        signed,
        extra_categories=tuple(categories[1:] if not pension else categories),
        children_count=draw(st.integers(1, 6)),
        status=draw(st.sampled_from([Status.ACTIVE, Status.ACTIVE, Status.SUSPENDED])),
    )


@st.composite
def ncc_enrolments(draw, enrolment_id: int) -> EnrolmentFacts:
    category = draw(st.sampled_from(["ncc.war_invalid", "ncc.martyr_relative", "ncc.heroic_mother"]))
    return EnrolmentFacts(
        enrolment_id,
        Programme.NCC,
        category,
        draw(days),
        end_month=draw(st.none() | periods),
        injury_rate=draw(st.integers(21, 100)),
        martyr_count=draw(st.integers(1, 5)),
    )


@st.composite
def enrolment_lists(draw) -> list[EnrolmentFacts]:
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=5))
    return [draw(btxh_enrolments(i) if is_btxh else ncc_enrolments(i)) for i, is_btxh in enumerate(kinds, 1)]


@settings(max_examples=300, deadline=None)
@given(people(), enrolment_lists(), periods)
def test_amounts_are_always_non_negative_whole_dong(person, enrolments, period):
    for component in calculate_month(person, enrolments, period, SEEDED):
        assert type(component.amount_vnd) is int
        assert component.amount_vnd >= 0


@settings(max_examples=300, deadline=None)
@given(people(), enrolment_lists(), periods)
def test_at_most_one_of_btxh_and_social_pension_is_paid_and_it_is_the_highest(person, enrolments, period):
    paid = [c for c in calculate_month(person, enrolments, period, SEEDED) if c.code in MONTHLY_BTXH]
    assert len(paid) <= 1
    for enrolment in (e for e in enrolments if e.programme is Programme.BTXH):
        alone = [c for c in calculate_month(person, [enrolment], period, SEEDED) if c.code in MONTHLY_BTXH]
        if alone:
            assert len(paid) == 1
            assert paid[0].amount_vnd >= alone[0].amount_vnd


@settings(max_examples=200, deadline=None)
@given(people(), enrolment_lists(), periods, st.randoms(use_true_random=False))
def test_output_is_deterministic_and_independent_of_input_order(
    person, enrolments, period, rng: random.Random
):
    first = assess_month(person, enrolments, period, SEEDED)
    shuffled = list(enrolments)
    rng.shuffle(shuffled)
    assert assess_month(person, shuffled, period, SEEDED) == first
    assert assess_month(person, enrolments, period, SEEDED) == first


@settings(max_examples=200, deadline=None)
@given(people(), enrolment_lists(), periods)
def test_ncc_components_add_up_enrolment_by_enrolment_each_category_once(person, enrolments, period):
    together = [c for c in calculate_month(person, enrolments, period, SEEDED) if c.code.startswith("ncc.")]
    separately = []
    paid_categories = set()
    for enrolment in enrolments:  # in enrolment id order: the earliest enrolment due pays a category
        alone = calculate_month(person, [enrolment], period, SEEDED)
        if enrolment.programme is Programme.NCC and alone and enrolment.category not in paid_categories:
            paid_categories.add(enrolment.category)
            separately += alone
    assert together == separately


@settings(max_examples=200, deadline=None)
@given(people(), enrolment_lists(), periods)
def test_nothing_is_due_after_the_month_of_death(person, enrolments, period):
    if person.date_of_death is not None and period > Period.of(person.date_of_death):
        assert calculate_month(person, enrolments, period, SEEDED) == []
