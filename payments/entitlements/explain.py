"""Why a person is owed what they are owed, month by month: computed, accrued, and the rest.

Read-only. For each month: what the calculator says now (components with explanations, and
notes on what is not due and why), and what the ledger holds for that month by entry kind.
Then the person's balances: still owed, in flight, receivable.
"""

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.entitlements.calculator import assess_month, funeral_grant
from payments.entitlements.from_registry import calculator_facts
from payments.entitlements.period import Period
from payments.entitlements.rateset import RateSet
from payments.errors import InvalidInput, PaymentsError
from payments.ledger import accounts
from payments.ledger.model import Account, Entry, Posting
from payments.ledger.services import balances
from payments.registry.facts import facts_on
from payments.registry.repository import enrolments_of
from payments.registry.services import get_beneficiary

MAX_MONTHS = 60


def explain_entitlements(
    session: Session, beneficiary_id: int, first: Period, last: Period, rates: RateSet
) -> dict[str, Any]:
    """Month by month from `first` to `last` (at most five years). NotFound for an unknown person."""
    get_beneficiary(session, beneficiary_id)
    months = _months(first, last)
    enrolment_ids = [e.id for e in enrolments_of(session, beneficiary_id)]
    booked = _booked(session, enrolment_ids, months)
    report = [_month(session, enrolment_ids, month, rates, booked[str(month)]) for month in months]
    owed = balances(session, [accounts.payable(beneficiary_id), accounts.receivable(beneficiary_id)])
    return {
        "beneficiary_id": beneficiary_id,
        "months": report,
        "owed_now_vnd": -owed[accounts.payable(beneficiary_id)],
        "receivable_vnd": owed[accounts.receivable(beneficiary_id)],
    }


def _months(first: Period, last: Period) -> list[Period]:
    if last < first:
        raise InvalidInput("`to` must not be before `from`")
    months = [first]
    while months[-1] < last:
        months.append(months[-1].next())
        if len(months) > MAX_MONTHS:
            raise InvalidInput(f"ask for at most {MAX_MONTHS} months at a time")
    return months


def _month(
    session: Session, enrolment_ids: list[int], month: Period, rates: RateSet, booked: dict[str, int]
) -> dict[str, Any]:
    facts = facts_on(session, enrolment_ids, month.last_day)
    computed: dict[str, Any] = {"components": [], "notes": []}
    if not facts:
        reason = "no enrolment decision was in force: entitlement starts in the month the decision is signed"
        computed["notes"] = [{"enrolment_id": None, "rule": "DOMAIN rule 1", "reason": reason}]
    else:
        try:
            pairs = [calculator_facts(f) for f in facts]
            person, enrolments = pairs[0][0], [e for _p, e in pairs]
            assessment = assess_month(person, enrolments, month, rates)
            components = list(assessment.components)
            grant = funeral_grant(person, enrolments, rates)
            if grant is not None and grant.period == month:
                components.append(grant)
            computed["components"] = [_component(c) for c in components]
            computed["notes"] = [n.__dict__ for n in assessment.notes]
        except PaymentsError as error:
            computed["problem"] = error.detail
    owed = sum(c["amount_vnd"] for c in computed["components"])
    return {"period": str(month), "owed_vnd": owed, **computed, "ledger": booked}


def _component(component: Any) -> dict[str, Any]:
    return {
        "enrolment_id": component.enrolment_id,
        "code": component.code,
        "amount_vnd": component.amount_vnd,
        "explanation": component.explanation,
    }


def _booked(session: Session, enrolment_ids: list[int], months: list[Period]) -> dict[str, dict[str, int]]:
    """{period: {entry kind: đồng}} as the expense side of the ledger records it."""
    booked: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not enrolment_ids:
        return booked
    query = (
        select(Entry.period, Entry.kind, Posting.amount_vnd)
        .join(Posting, Posting.entry_seq == Entry.seq)
        .join(Account, Account.id == Posting.account_id)
        .where(
            Entry.enrolment_ref.in_([str(e) for e in enrolment_ids]),
            Entry.period.in_([str(m) for m in months]),
            Account.type == "expense",
        )
    )
    for period, kind, amount in session.execute(query):
        if period is not None:  # (the IN filter already keeps out entries without a period)
            booked[period][kind] += amount
    return booked
