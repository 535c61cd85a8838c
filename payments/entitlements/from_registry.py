"""The registry's enrolment facts turned into the calculator's.

The registry knows nothing of pensions, so `has_pension` is False: enrolling someone in a
"without a pension" category (the social pension, 80 or over without a pension) is the
commune's finding that they have none.
"""

from typing import Any

from payments.entitlements.categories import PROVINCIAL_OTHER, REGISTRY_CATEGORIES
from payments.entitlements.facts import EnrolmentFacts, PersonFacts, Programme, Status
from payments.entitlements.period import Period
from payments.errors import InvalidInput
from payments.registry.facts import EnrolmentFacts as RegistryEnrolment

# The registry's spellings, looked up in a dict (an accrual converts every enrolment); anything
# else still goes through the enum, which refuses what it does not know.
_PROGRAMMES = {programme.value.upper(): programme for programme in Programme}  # 'BTXH', 'NCC'
_STATUSES = {status.value: status for status in Status}


def calculator_facts(facts: RegistryEnrolment) -> tuple[PersonFacts, EnrolmentFacts]:
    """(person, enrolment) for the calculator. A BTXH category an administrator added is paid by
    the provincial rule (standard level × the coefficient its decision sets; the registry makes
    such a category carry that parameter). Raises InvalidInput for a category the calculator
    has no rule for."""
    category = REGISTRY_CATEGORIES.get(facts.category_code)
    if category is None and facts.programme == "BTXH":
        category = PROVINCIAL_OTHER
    if category is None:
        raise InvalidInput(
            f"enrolment {facts.enrolment_id}: no entitlement rule for category {facts.category_code!r}"
        )
    person = PersonFacts(facts.beneficiary_id, facts.date_of_birth, facts.death_date)
    enrolment = EnrolmentFacts(
        enrolment_id=facts.enrolment_id,
        programme=_PROGRAMMES.get(facts.programme) or Programme(facts.programme.lower()),
        category=category,
        decision_date=facts.decision_date,
        start_month=Period.of(facts.start_month),
        end_month=Period.of(facts.end_month) if facts.end_month else None,
        status=_STATUSES.get(facts.status) or Status(facts.status),
        injury_rate=_whole(facts.parameters, "injury_rate"),
        martyr_count=_whole(facts.parameters, "martyr_count"),
        children_count=_whole(facts.parameters, "children_count"),
        coefficient=_text(facts.parameters, "coefficient"),
    )
    return person, enrolment


def _whole(parameters: dict[str, Any], name: str) -> int | None:
    value = parameters.get(name)
    return None if value is None else int(value)


def _text(parameters: dict[str, Any], name: str) -> str | None:
    value = parameters.get(name)
    return None if value is None else str(value)
