"""Choosing a person's one gift, and what a gift run must be given. Pure: no database."""

from dataclasses import replace
from datetime import date

import pytest

from payments.entitlements.gifts import GiftRun, choose_gift, gift_draft
from payments.errors import InvalidInput
from payments.registry.facts import EnrolmentFacts

TET = date(2027, 1, 20)
RUN = GiftRun("tet-2027", TET, "QĐ 123/QĐ-UBND", {"BTXH": 500_000, "NCC": 600_000})


def enrolment(enrolment_id: int, programme: str = "BTXH", **changes) -> EnrolmentFacts:
    category = "BTXH_ELDERLY_POOR_60_80" if programme == "BTXH" else "NCC_WAR_INVALID"
    facts = EnrolmentFacts(
        enrolment_id=enrolment_id, beneficiary_id=7, programme=programme, category_code=category,
        parameters={"injury_rate": 21} if programme == "NCC" else {}, decision_number="QD-1",
        decision_date=date(2024, 7, 1), start_month=date(2024, 7, 1), end_month=None, status="active",
        status_reason=None, version=1, effective_date=date(2024, 7, 1), date_of_birth=date(1950, 5, 1),
        sex="female", death_date=None, commune_code="22960", current_commune_code="22900",
    )  # fmt: skip
    return replace(facts, **changes)


def test_the_highest_programme_amount_is_the_one_gift():
    gift = choose_gift(RUN, [enrolment(1, "BTXH"), enrolment(2, "NCC")])
    assert gift is not None
    assert (gift.programme, gift.amount_vnd, gift.enrolment_id) == ("NCC", 600_000, 2)
    assert gift.compared == (("BTXH", 500_000), ("NCC", 600_000))


def test_a_tie_goes_to_the_earliest_enrolment_whatever_the_order_given():
    tie = replace(RUN, amounts_vnd={"BTXH": 500_000, "NCC": 500_000})
    for enrolments in (
        [enrolment(3, "BTXH"), enrolment(9, "NCC")],
        [enrolment(9, "NCC"), enrolment(3, "BTXH")],
    ):
        gift = choose_gift(tie, enrolments)
        assert gift is not None
        assert (gift.programme, gift.enrolment_id) == ("BTXH", 3)


def test_two_enrolments_in_one_programme_still_give_one_gift():
    gift = choose_gift(RUN, [enrolment(4, "BTXH"), enrolment(5, "BTXH", end_month=date(2027, 1, 1))])
    assert gift is not None
    assert (gift.enrolment_id, gift.compared) == (4, (("BTXH", 500_000),))


@pytest.mark.parametrize(
    "changes",
    [
        {"death_date": TET},  # died on the day
        {"death_date": date(2027, 1, 2)},  # the month of death is still due monthly, but no gift
        {"status": "suspended"},  # rule 5: nothing accrues while suspended
        {"status": "terminated", "end_month": date(2026, 12, 1)},  # ended the month before
        {"end_month": date(2026, 12, 1)},
        {"start_month": date(2027, 2, 1)},  # paid from February
        {"decision_date": date(2027, 2, 3), "start_month": date(2027, 2, 1)},
    ],
)
def test_an_enrolment_not_in_force_on_the_date_gives_nothing(changes):
    assert choose_gift(RUN, [enrolment(1, **changes)]) is None


def test_an_enrolment_ending_in_the_month_of_the_date_still_gives_the_gift():
    assert choose_gift(RUN, [enrolment(1, status="terminated", end_month=date(2027, 1, 1))]) is not None


def test_a_programme_outside_the_run_gives_nothing():
    assert choose_gift(replace(RUN, amounts_vnd={"NCC": 600_000}), [enrolment(1, "BTXH")]) is None


def test_the_entry_explains_itself_and_stays_out_of_the_accrual():
    gift = choose_gift(RUN, [enrolment(1, "BTXH")])
    assert gift is not None
    draft = gift_draft(RUN, gift)
    assert draft.idempotency_key == "gift:tet-2027:7"
    assert (draft.kind, draft.effective_date, draft.enrolment_ref, draft.period) == (
        "accrual",
        TET,
        None,
        None,
    )
    assert draft.postings == (("expense:BTXH", 500_000), ("payable:7", -500_000))
    assert draft.memo is not None
    assert {
        k: draft.memo[k] for k in ("gift_run", "decision", "gift_date", "amount_vnd", "enrolment_id")
    } == {
        "gift_run": "tet-2027",
        "decision": "QĐ 123/QĐ-UBND",
        "gift_date": "2027-01-20",
        "amount_vnd": 500_000,
        "enrolment_id": 1,
    }


@pytest.mark.parametrize(
    ("code", "decision", "amounts", "field"),
    [
        ("Tết 2027", "QĐ 1", {"BTXH": 1}, "code"),
        ("tet:2027", "QĐ 1", {"BTXH": 1}, "code"),
        ("tet-", "QĐ 1", {"BTXH": 1}, "code"),
        ("t" * 41, "QĐ 1", {"BTXH": 1}, "code"),
        ("tet-2027", "  ", {"BTXH": 1}, "decision"),
        ("tet-2027", "QĐ 1", {}, "amounts"),
        ("tet-2027", "QĐ 1", {"BTXH": 0}, "amounts"),
        ("tet-2027", "QĐ 1", {"BTXH": -500_000}, "amounts"),
        ("tet-2027", "QĐ 1", {"BTXH": 500_000.0}, "amounts"),
        ("tet-2027", "QĐ 1", {"BTXH": True}, "amounts"),
        ("tet-2027", "QĐ 1", {"BTXH": "500000"}, "amounts"),
    ],
)
def test_a_malformed_run_is_refused_naming_the_field(code, decision, amounts, field):
    with pytest.raises(InvalidInput) as refused:
        GiftRun(code, TET, decision, amounts)
    assert refused.value.extra["field"] == field
