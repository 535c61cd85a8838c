"""Enrolments: every change is a new EnrolmentVersion (never an overwrite).

A version holds the full terms from its effective date. Effective dates never go back
(a change dated before the latest one is refused), so "the terms on date D as known at time T"
is simply the highest version recorded by T and effective by D (repository.enrolment_as_known).
"""

from dataclasses import asdict, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, local_date, utcnow
from payments.context import Actor
from payments.errors import NotFound, RuleViolation
from payments.registry import repository
from payments.registry.model import Enrolment, EnrolmentVersion
from payments.registry.services import get_beneficiary, refuse
from payments.registry.validation import Terms, coerce_parameters, terms_problems

TRANSITIONS = {  # change -> (allowed from, to)
    "suspended": (("active",), "suspended"),
    "resumed": (("suspended",), "active"),
    "terminated": (("active", "suspended"), "terminated"),
}


def get_enrolment(session: Session, enrolment_id: int) -> Enrolment:
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFound(f"enrolment {enrolment_id} does not exist")
    return enrolment


def enrol(
    session: Session, actor: Actor, beneficiary_id: int, terms: Terms, *, clock: Clock = utcnow
) -> Enrolment:
    """Enrol a person in a programme under a decision; effective from the decision date.

    Raises NotFound for an unknown person, InvalidInput for bad terms, RuleViolation when the
    person is deceased or already has an enrolment in the programme that is not terminated."""
    beneficiary = get_beneficiary(session, beneficiary_id)
    if beneficiary.death_date is not None:
        raise RuleViolation("a deceased person cannot be enrolled", field="beneficiary_id")
    open_ones = [
        e for e in repository.enrolments_of(session, beneficiary_id)
        if e.programme_code == terms.programme and e.status != "terminated"
    ]  # fmt: skip
    if open_ones:
        raise RuleViolation(
            f"enrolment {open_ones[0].id} in {terms.programme} is still open", field="programme"
        )
    terms = _checked(session, terms, clock)
    now = clock()
    enrolment = Enrolment(
        beneficiary_id=beneficiary_id,
        programme_code=terms.programme,
        category_code=terms.category_code,
        status="active",
        current_version=0,
        created_at=now,
    )
    session.add(enrolment)
    session.flush()
    _append(session, actor, enrolment, terms, "active", None, "enrolled", terms.decision_date, clock)
    return enrolment


def amend_enrolment(
    session: Session,
    actor: Actor,
    enrolment_id: int,
    changes: dict[str, Any],
    *,
    effective_date: date,
    clock: Clock = utcnow,
) -> EnrolmentVersion:
    """New terms (category, parameters, decision, months) from `effective_date`. The programme
    cannot change. Identical terms add no version. Raises RuleViolation on a terminated
    enrolment or an effective date before the latest version's, InvalidInput on bad terms."""
    enrolment = get_enrolment(session, enrolment_id)
    current = repository.current_enrolment_version(session, enrolment)
    if enrolment.status == "terminated":
        raise RuleViolation("a terminated enrolment cannot be amended; enrol again under a new decision")
    if "programme" in changes and changes["programme"] != enrolment.programme_code:
        raise RuleViolation("the programme of an enrolment cannot change; enrol in the other programme")
    terms = _checked(session, replace(terms_of(enrolment, current), **changes), clock)
    if terms == terms_of(enrolment, current):
        return current
    return _append(session, actor, enrolment, terms, enrolment.status, None, "amended", effective_date, clock)


def change_status(
    session: Session,
    actor: Actor,
    enrolment_id: int,
    change: str,
    reason: str,
    *,
    effective_date: date,
    clock: Clock = utcnow,
) -> EnrolmentVersion:
    """`change` is 'suspended', 'resumed' or 'terminated', with a reason, from `effective_date`.

    A termination keeps the month of `effective_date` due and nothing after (DOMAIN rule 2):
    the end month becomes that month, unless an earlier one is already recorded (see _ended).
    Raises RuleViolation for a transition the current status does not allow (suspending a
    suspended enrolment, anything after termination) or a missing reason."""
    if change not in TRANSITIONS:
        raise RuleViolation(f"unknown status change {change!r}")
    if not reason.strip():
        raise RuleViolation("a status change needs a reason", field="reason")
    enrolment = get_enrolment(session, enrolment_id)
    allowed_from, new_status = TRANSITIONS[change]
    if enrolment.status not in allowed_from:
        raise RuleViolation(f"an enrolment that is {enrolment.status} cannot be {change}", field="status")
    current = repository.current_enrolment_version(session, enrolment)
    terms = terms_of(enrolment, current)
    if new_status == "terminated":
        terms = _ended(enrolment, terms, effective_date)
    return _append(
        session, actor, enrolment, terms, new_status, reason.strip(), change, effective_date, clock
    )


def close_for_move(
    session: Session,
    actor: Actor,
    beneficiary_id: int,
    *,
    from_commune: str,
    to_commune: str,
    moved_on: date,
    clock: Clock = utcnow,
) -> list[int]:
    """DOMAIN rule 6: a move to another commune closes the person's open enrolments at the old
    commune. They stay due through the month of the move (a suspended one: see _ended) and
    nothing after; payment resumes only with the new commune's decision (a new enrolment).
    Returns the ids closed. Raises RuleViolation when an enrolment has a change dated after
    the move (say the move's date)."""
    reason = (
        f"moved from commune {from_commune} to {to_commune} on {moved_on}: "
        "payment resumes with the new commune's decision (DOMAIN rule 6)"
    )
    query = select(Enrolment).where(
        Enrolment.beneficiary_id == beneficiary_id, Enrolment.status != "terminated"
    )
    closed = []
    for enrolment in session.scalars(query.order_by(Enrolment.id)).all():
        current = repository.current_enrolment_version(session, enrolment)
        terms = _ended(enrolment, terms_of(enrolment, current), moved_on)
        _append(session, actor, enrolment, terms, "terminated", reason, "moved", moved_on, clock)
        closed.append(enrolment.id)
    return closed


def terms_of(enrolment: Enrolment, version: EnrolmentVersion) -> Terms:
    return Terms(
        programme=enrolment.programme_code,
        category_code=version.category_code,
        decision_number=version.decision_number,
        decision_date=version.decision_date,
        start_month=version.start_month,
        end_month=version.end_month,
        parameters=dict(version.parameters),
    )


def _ended(enrolment: Enrolment, terms: Terms, effective: date) -> Terms:
    """The terms of `enrolment` terminated on `effective` (DOMAIN rule 2): the month of
    `effective` is the last month due, unless the terms end earlier. A suspended enrolment
    was owed nothing since its suspension (rule 5), so its last month due is the one before.

    Ending before the first month means nothing was ever due: the end month is cleared, as an
    end month before the start month is not a valid term, and a terminated enrolment without
    one owes nothing (the calculator's rule)."""
    last_month = effective.replace(day=1)
    if enrolment.status == "suspended":
        last_month = (last_month - timedelta(days=1)).replace(day=1)
    if last_month < terms.start_month:
        return replace(terms, end_month=None)
    if terms.end_month is None or terms.end_month > last_month:
        return replace(terms, end_month=last_month)
    return terms


def _checked(session: Session, terms: Terms, clock: Clock) -> Terms:
    reference = repository.load_reference(session)
    refuse(terms_problems(terms, reference, local_date(clock())))
    specs = reference.categories[terms.category_code][1]
    return replace(terms, parameters=coerce_parameters(specs, terms.parameters))


def _append(  # noqa: PLR0917 - private, called in three places with the same order
    session: Session,
    actor: Actor,
    enrolment: Enrolment,
    terms: Terms,
    status: str,
    reason: str | None,
    change: str,
    effective: date,
    clock: Clock,
) -> EnrolmentVersion:
    if enrolment.current_version:
        latest = repository.current_enrolment_version(session, enrolment)
        if effective < latest.effective_date:
            raise RuleViolation(
                f"a change cannot take effect before the latest one ({latest.effective_date})",
                field="effective_date",
            )
    enrolment.current_version += 1
    enrolment.category_code = terms.category_code
    enrolment.status = status
    version = EnrolmentVersion(
        enrolment_id=enrolment.id,
        version=enrolment.current_version,
        effective_date=effective,
        recorded_at=clock(),
        recorded_by=actor.username,
        change=change,
        category_code=terms.category_code,
        parameters=terms.parameters,
        decision_number=terms.decision_number,
        decision_date=terms.decision_date,
        start_month=terms.start_month,
        end_month=terms.end_month,
        status=status,
        status_reason=reason,
    )
    session.add(version)
    session.flush()
    summary = {
        **_jsonable(asdict(terms)),
        "status": status,
        "reason": reason,
        "effective_date": effective.isoformat(),
    }
    record_event(session, actor, f"enrolment.{change}", "enrolment", enrolment.id, after=summary, clock=clock)
    return version


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in values.items()}
