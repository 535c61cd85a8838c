"""An NCC category is paid once a person a month (DOMAIN rule 6: after a move, the old commune's
enrolment is due through the month of the move and the new commune's decision resumes payment)."""

from datetime import date

from payments.entitlements.calculator import assess_month
from payments.entitlements.facts import Status
from payments.entitlements.period import Period
from tests.unit.entitlements.builders import SEEDED, btxh, ncc, person

SEPTEMBER, OCTOBER = Period(2025, 9), Period(2025, 9).next()


def _moved(category: str = "ncc.war_invalid", **parameters: object):
    old = ncc(category, date(2025, 6, 10), 1, end_month=SEPTEMBER, status=Status.TERMINATED, **parameters)
    new = ncc(category, date(2025, 9, 25), 2, **parameters)
    return [old, new]


def test_the_month_of_a_move_pays_the_category_once_from_the_old_enrolment():
    assessment = assess_month(person(), _moved(injury_rate=41), SEPTEMBER, SEEDED)
    assert [(c.enrolment_id, c.amount_vnd) for c in assessment.components] == [(1, 3_667_000)]
    [note] = [n for n in assessment.notes if n.enrolment_id == 2]
    assert note.rule == "DOMAIN rule 6"
    assert "enrolment 1" in note.reason


def test_the_new_enrolment_pays_from_the_month_after_the_move():
    assessment = assess_month(person(), _moved(injury_rate=41), OCTOBER, SEEDED)
    assert [(c.enrolment_id, c.amount_vnd) for c in assessment.components] == [(2, 3_667_000)]


def test_a_heroic_mother_gets_the_amount_and_supplement_once_in_the_month_of_a_move():
    assessment = assess_month(person(date(1930, 1, 1)), _moved("ncc.heroic_mother"), SEPTEMBER, SEEDED)
    assert assessment.total_vnd == 8_367_000 + 2_337_000


def test_different_ncc_categories_are_still_each_paid_in_full():
    enrolments = [
        ncc("ncc.war_invalid", enrolment_id=1, injury_rate=41),
        ncc("ncc.martyr_relative", enrolment_id=2, martyr_count=1),
    ]
    assert assess_month(person(), enrolments, SEPTEMBER, SEEDED).total_vnd == 3_667_000 + 2_789_000


def test_btxh_still_pays_only_the_highest_across_a_move():
    old = btxh(
        "btxh.elderly_80_no_pension", date(2025, 6, 10), 1, end_month=SEPTEMBER, status=Status.TERMINATED
    )
    new = btxh("btxh.elderly_poor_alone", date(2025, 9, 25), 2)
    assessment = assess_month(person(date(1940, 1, 1)), [old, new], SEPTEMBER, SEEDED)
    # 2.0 x 500,000 (poor, alone, 80 or over) rather than 1.0 x 500,000: the higher, once
    assert [(c.enrolment_id, c.amount_vnd) for c in assessment.components] == [(2, 1_000_000)]
