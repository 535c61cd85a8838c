"""Why a beneficiary must wait for an officer instead of being paid: the reasons a build holds.

The registry's reasons (no instrument, a recent change, a shared account, a name that differs,
a death with no recipient of what is owed recorded), an officer's manual hold, suspended
enrolments, repeated failures on the same instrument, and the provider's own name check, all
about the instrument paid (a deceased person's recipient's, where one is recorded). A held
person is listed with every reason, never silently dropped.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.adapters.vocabulary import Capability
from payments.disbursements import repository, unclaimed
from payments.disbursements.model import ManualHold
from payments.disbursements.routing import Routing
from payments.disbursements.snapshots import creditor
from payments.registry.instruments import holds_for_payees
from payments.registry.model import Beneficiary
from payments.registry.payees import Payee

REPEATED_FAILURES = 2


def hold_reasons(
    session: Session,
    people: Mapping[int, Beneficiary],
    payees: Mapping[int, Payee],
    day: date,
    *,
    hold_days: int,
) -> dict[int, list[dict[str, str]]]:
    """Every reason to hold each of `people`, paid to `payees` (a deceased person's recipient
    where one is recorded): the registry's, an officer's manual hold, suspended enrolments, cash
    for someone terminated for not collecting it, a failed payout a provider says it paid, and
    repeated failures on the instrument the payee would be paid into."""
    ids = list(people)
    found = {
        b: [{"code": r.code, "detail": r.detail} for r in rs]
        for b, rs in holds_for_payees(session, people, payees, day, hold_days=hold_days).items()
    }
    manual = session.scalars(
        select(ManualHold).where(ManualHold.beneficiary_id.in_(ids), ManualHold.released_at.is_(None))
    )
    for hold in manual:
        found.setdefault(hold.beneficiary_id, []).append({"code": "manual", "detail": hold.reason})
    for b in repository.suspended_people(session, ids):
        detail = "every enrolment is suspended: an officer resumes it before anything is paid"
        found.setdefault(b, []).append({"code": "suspended", "detail": detail})
    for b in repository.terminated_for(session, ids, f"{unclaimed.REASON}:"):
        if b in payees and payees[b].instrument.kind == "cash":
            # Sending it to the counter again would only come back uncollected (DOMAIN rule 5).
            detail = (
                "terminated for cash not collected: record a bank account or e-wallet to pay what "
                "is still owed, or enrol the person again under a new decision once they are found"
            )
            found.setdefault(b, []).append({"code": "unclaimed_cash", "detail": detail})
    for b, contradicted in repository.failures_said_paid(session, ids).items():
        # The money is back in their payable, yet the provider says it paid: paying it again
        # before finance has asked could pay twice (dispatch checks again as it claims: cover.py).
        for exception_id, key in contradicted:
            detail = (
                f"the provider says payout {key} was paid although it is recorded as failed: "
                f"finance resolves exception {exception_id} with the provider before anything more is paid"
            )
            found.setdefault(b, []).append({"code": "contradicted_answer", "detail": detail})
    for (b, instrument_ref), failures in repository.failed_on_instrument(session, ids).items():
        current = payees.get(b)
        if current is not None and current.ref == instrument_ref and failures >= REPEATED_FAILURES:
            detail = f"{failures} payouts to this instrument failed"
            found.setdefault(b, []).append({"code": "repeated_failures", "detail": detail})
    return found


def provider_name_check(
    routing: Routing, adapter_name: str, snapshot: dict[str, Any], name: str
) -> list[dict[str, str]]:
    """DOMAIN rule 7, asked of the provider itself where it can answer."""
    adapter = routing.adapters.get(adapter_name)
    if snapshot["kind"] == "cash":
        return []  # no account holder: the counter checks the citizen ID card
    if adapter is None or Capability.NAME_LOOKUP not in adapter.capabilities:
        return []
    result = adapter.lookup_name(creditor(snapshot))
    if result.matches(name):
        return []
    reported = result.reported_name or (result.reason.value if result.reason else "no name")
    return [{"code": "provider_name_mismatch", "detail": f"the provider reports {reported!r}"}]
