"""The entitlement calculator: (person, enrolments, period, rates) -> components. Pure.

No database and no Flask: the accrual run, the explain endpoint and the tests all call the
same functions with frozen facts and a RateSet. Every amount is an int of đồng, computed
exactly and rounded once (payments.entitlements.rounding).

Rules (DOMAIN.md): due from the month the decision is signed (1); nothing after the month of
death or of loss of eligibility (2); one BTXH allowance per person, the highest of all its
coefficients and the social pension (3); NCC enrolments are each paid in full, but a category
once a month: the enrolment that continues another in the same category (the new commune's,
after a move: rule 6) is due once the earlier one is not; the funeral grant is paid once, the
highest applicable, for the month after death.
"""

from collections.abc import Iterable
from typing import Any

from payments.entitlements import btxh, ncc
from payments.entitlements.btxh import Candidate
from payments.entitlements.categories import SOCIAL_PENSION
from payments.entitlements.facts import (
    Assessment,
    Component,
    EnrolmentFacts,
    Note,
    NursingPlace,
    PersonFacts,
    Programme,
    Status,
)
from payments.entitlements.period import Period
from payments.entitlements.rateset import RateRow, RateSet, coefficient_text
from payments.entitlements.rounding import round_half_up
from payments.errors import RuleViolation

FUNERAL_GRANT = "funeral_grant"


def calculate_month(
    person: PersonFacts, enrolments: Iterable[EnrolmentFacts], period: Period, rates: RateSet
) -> list[Component]:
    """The components owed to one person for one month, ordered by enrolment and code."""
    return list(assess_month(person, enrolments, period, rates).components)


def assess_month(
    person: PersonFacts, enrolments: Iterable[EnrolmentFacts], period: Period, rates: RateSet
) -> Assessment:
    """Components plus notes saying why an enrolment owes nothing (or was outbid).

    Raises RateNotFound when a figure the month needs is missing, and InvalidInput when the
    facts are inconsistent (an unknown category, a war invalid without an injury rate).
    """
    ordered = sorted(enrolments, key=lambda e: e.enrolment_id)
    notes: list[Note] = []
    found: list[Candidate] = []
    components: list[Component] = []
    ncc_paid: dict[str, EnrolmentFacts] = {}  # category: the enrolment paying it this month
    for enrolment in ordered:
        reason = not_due(enrolment, person, period)
        if reason is None and enrolment.programme is Programme.NCC:
            reason = _already_paid(enrolment, ncc_paid)
        if reason is not None:
            notes.append(reason)
        elif enrolment.programme is Programme.BTXH:
            candidates, reasons = btxh.candidates(enrolment, person, period, rates)
            found += candidates
            notes += reasons
        else:
            ncc_paid[enrolment.category] = enrolment
            components += [_dated(c, enrolment, person) for c in ncc.components(enrolment, period, rates)]
    if found:
        components.append(_highest(found, period, {e.enrolment_id: e for e in ordered}, person, notes))
    components.sort(key=lambda c: (c.enrolment_id, c.code))
    return Assessment(period, tuple(components), tuple(notes))


def not_due(enrolment: EnrolmentFacts, person: PersonFacts, period: Period) -> Note | None:
    """None when the enrolment is due for the period, else the rule that says it is not."""
    eid = enrolment.enrolment_id
    if period < enrolment.first_month:
        return Note(
            eid,
            "DOMAIN rule 1",
            f"decision signed {enrolment.decision_date}: due from {enrolment.first_month}",
        )
    death = person.date_of_death
    if death is not None and period > Period.of(death):
        return Note(eid, "DOMAIN rule 2", f"died {death}: due up to {Period.of(death)}, nothing after")
    if enrolment.end_month is not None and period > enrolment.end_month:
        return Note(eid, "DOMAIN rule 2", f"eligibility ended: the last month due was {enrolment.end_month}")
    if enrolment.status is Status.SUSPENDED:
        return Note(eid, "DOMAIN rule 5", "suspended: nothing accrues while the enrolment is suspended")
    if enrolment.status is Status.TERMINATED and enrolment.end_month is None:
        return Note(eid, "DOMAIN rule 2", "terminated without an end month: nothing is due")
    return None


def _already_paid(enrolment: EnrolmentFacts, paid: dict[str, EnrolmentFacts]) -> Note | None:
    """An NCC category is paid once a month: by the earliest enrolment due in it. In the month
    of a move both the old commune's enrolment (due through that month) and the new one (due
    from its decision) may be due; the old one pays it."""
    earlier = paid.get(enrolment.category)
    if earlier is None:
        return None
    reason = (
        f"{enrolment.category} is paid once a month; enrolment {earlier.enrolment_id} pays it for "
        "this month (the month of a move stays with the old commune's enrolment)"
    )
    return Note(enrolment.enrolment_id, "DOMAIN rule 6", reason)


def funeral_grant(
    person: PersonFacts, enrolments: Iterable[EnrolmentFacts], rates: RateSet
) -> Component | None:
    """The one-off funeral grant, for the month after death: the highest applicable grant only.

    None if the person is alive or no enrolment was due in the month of death. The figures are
    those in force in the month of death. Paying it once is the accrual run's job: this
    function always returns the same grant for the same facts.
    """
    if person.date_of_death is None:
        return None
    died = Period.of(person.date_of_death)
    options = [
        _funeral_option(e, died, rates)
        for e in sorted(enrolments, key=lambda e: e.enrolment_id)
        if not_due(e, person, died) is None
    ]
    if not options:
        return None
    best = max(options, key=lambda o: (o[1], -o[0].enrolment_id))
    enrolment, amount, explanation = best
    explanation |= {
        "rule": "Funeral grant on death: paid once, the highest applicable grant only (DOMAIN)",
        "date_of_death": person.date_of_death.isoformat(),
        "period": str(died.next()),
        "compared": [{"enrolment_id": e.enrolment_id, "amount_vnd": a} for e, a, _ in options],
    }
    return Component(enrolment.enrolment_id, died.next(), FUNERAL_GRANT, amount, explanation)


def nursing_care_grant(
    enrolment: EnrolmentFacts, person: PersonFacts, place: NursingPlace, period: Period, rates: RateSet
) -> Component:
    """Nursing care for one occasion in `period` (NCC only). Raises RuleViolation when the
    enrolment is not an NCC enrolment due in that month."""
    reason = not_due(enrolment, person, period)
    if enrolment.programme is not Programme.NCC or reason is not None:
        why = reason.reason if reason else "nursing care is an NCC benefit"
        raise RuleViolation(f"enrolment {enrolment.enrolment_id} gets no nursing care in {period}: {why}")
    return _dated(ncc.nursing_care(enrolment, place, period, rates), enrolment, person)


def _highest(
    found: list[Candidate],
    period: Period,
    by_id: dict[int, EnrolmentFacts],
    person: PersonFacts,
    notes: list[Note],
) -> Component:
    best = max(found, key=Candidate.rank)
    for other in found:
        if other is not best:
            notes.append(_outbid(other, best))
    compared = [c.summary() for c in found]
    dates = _dates(period, by_id[best.enrolment_id], person)
    explanation = {**best.explanation, "compared": compared, **dates}
    return Component(best.enrolment_id, period, best.code, best.amount_vnd, explanation)


def _outbid(other: Candidate, best: Candidate) -> Note:
    reason = (
        f"{other.category} would pay {other.amount_vnd:,} đồng; only the highest BTXH amount is paid: "
        f"{best.category}, {best.amount_vnd:,} đồng (enrolment {best.enrolment_id})"
    )
    return Note(other.enrolment_id, "DOMAIN rule 3", reason)


def _dated(component: Component, enrolment: EnrolmentFacts, person: PersonFacts) -> Component:
    """The component with the dates that decide whether the month is due, so that its
    explanation stands alone."""
    explanation = {**component.explanation, **_dates(component.period, enrolment, person)}
    return Component(
        component.enrolment_id, component.period, component.code, component.amount_vnd, explanation
    )


def _dates(period: Period, enrolment: EnrolmentFacts, person: PersonFacts) -> dict[str, Any]:
    last = [p for p in (enrolment.end_month, _death_month(person)) if p is not None]
    return {
        "period": str(period),
        "decision_date": enrolment.decision_date.isoformat(),
        "due_from": str(enrolment.first_month),
        "due_until": str(min(last)) if last else None,
    }


def _death_month(person: PersonFacts) -> Period | None:
    return Period.of(person.date_of_death) if person.date_of_death else None


def _funeral_option(
    enrolment: EnrolmentFacts, died: Period, rates: RateSet
) -> tuple[EnrolmentFacts, int, dict[str, Any]]:
    """What this enrolment's programme grants on death, at the figures of the month of death."""
    day = died.first_day
    if enrolment.programme is Programme.NCC:
        multiplier_code, base_code, unit_code = "ncc.funeral_multiplier", "base_salary", None
    else:
        only_pension = set(enrolment.categories) == {SOCIAL_PENSION}
        multiplier_code = "social_pension.funeral_multiplier" if only_pension else "btxh.funeral_multiplier"
        base_code, unit_code = "btxh.standard_level", "btxh.rounding_unit"
    multiplier, multiplier_row = rates.coefficient(multiplier_code, day)
    base, base_row = rates.amount(base_code, day)
    rows: list[RateRow] = [base_row, multiplier_row]
    unit = 1
    if unit_code is not None:
        unit, unit_row = rates.amount(unit_code, day)
        rows.append(unit_row)
    explanation = {
        "category": enrolment.category,
        "coefficient": coefficient_text(int(multiplier * 1000)),
        "base_vnd": base,
        "rate_rows": [r.describe() for r in rows],
    }
    return enrolment, round_half_up(base * multiplier, unit), explanation


__all__ = [
    "FUNERAL_GRANT",
    "Assessment",
    "Component",
    "EnrolmentFacts",
    "Note",
    "NursingPlace",
    "PersonFacts",
    "Programme",
    "Status",
    "assess_month",
    "calculate_month",
    "funeral_grant",
    "not_due",
    "nursing_care_grant",
]
