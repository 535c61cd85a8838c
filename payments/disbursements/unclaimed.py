"""DOMAIN rule 5: cash nobody collects. Three consecutive months of a cash payout returned
uncollected (reason NOAS) suspend the person's active enrolments; an enrolment this rule
suspended and nobody resumed within three more months is terminated. Safe to run twice: a
suspended enrolment is not suspended again, and only uncollected months since the latest
resumption count (an officer who resumes someone gives them a fresh start).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.adapters.vocabulary import ReasonCode
from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.disbursements.model import Batch, Payout
from payments.disbursements.states import PayoutState
from payments.entitlements.period import Period
from payments.registry.enrolments import change_status
from payments.registry.model import Enrolment, EnrolmentVersion

REASON = "unclaimed cash"  # the status reason this rule writes, and recognises as its own


@dataclass
class UnclaimedResult:
    suspended: list[int] = field(default_factory=list)  # enrolment ids
    terminated: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"suspended": len(self.suspended), "terminated": len(self.terminated)}


def apply_unclaimed_cash_rule(
    session: Session, actor: Actor, *, today: date, months: int = 3, clock: Clock = utcnow
) -> UnclaimedResult:
    """Suspend and terminate as rule 5 says, as of `today`; every change is audited."""
    result = UnclaimedResult()
    for enrolment, periods in _to_suspend(session, today, months):
        reason = f"{REASON}: cash not collected in {', '.join(periods)}"
        change_status(session, actor, enrolment.id, "suspended", reason, effective_date=today, clock=clock)
        result.suspended.append(enrolment.id)
    for enrolment, since in _to_terminate(session, today, months):
        reason = f"{REASON}: suspended on {since} and not resumed within {months} months"
        change_status(session, actor, enrolment.id, "terminated", reason, effective_date=today, clock=clock)
        result.terminated.append(enrolment.id)
    record_event(
        session, actor, "unclaimed_cash.run", "day", today.isoformat(), after=result.as_dict(), clock=clock
    )
    return result


def _to_suspend(session: Session, today: date, months: int) -> Iterable[tuple[Enrolment, list[str]]]:
    outcomes = _cash_months(session, _months_back(today, months))
    if not outcomes:
        return
    resumed = _last_resumed(session, list(outcomes))
    for enrolment in _active_enrolments(session, list(outcomes)):
        since = resumed.get(enrolment.beneficiary_id)
        counted = [
            (p, ok) for p, ok, built in outcomes[enrolment.beneficiary_id] if since is None or built > since
        ]
        run = _uncollected_run(counted)
        if len(run) >= months:
            yield enrolment, run[-months:]


def _cash_months(session: Session, first_period: str) -> dict[int, list[tuple[str, bool, datetime]]]:
    """{person: [(period, collected?, batch built at)]} for each period from `first_period` whose
    cash outcome is known: collected (a cash payout settled) or not (the latest one came back NOAS)."""
    query = (
        select(Payout.beneficiary_id, Batch.period, Payout.state, Payout.reason_code, Batch.created_at)
        .join(Batch, Batch.id == Payout.batch_id)
        .where(Payout.channel == "cash", Batch.period >= first_period)
        .order_by(Payout.beneficiary_id, Batch.period, Payout.id)
    )
    latest: dict[tuple[int, str], tuple[bool | None, datetime]] = {}
    for person, period, state, reason, built in session.execute(query):
        collected, _ = latest.get((person, period), (None, built))
        if collected:
            continue  # a month in which the cash was collected stays collected
        if state == PayoutState.SETTLED:
            latest[(person, period)] = (True, built)
        elif state == PayoutState.RETURNED and reason == ReasonCode.NOAS:
            latest[(person, period)] = (False, built)
        else:  # in flight, or failed for another reason: this month proves nothing either way
            latest[(person, period)] = (None, built)
    found: dict[int, list[tuple[str, bool, datetime]]] = {}
    for (person, period), (collected, built) in sorted(latest.items()):
        if collected is not None:
            found.setdefault(person, []).append((period, collected, built))
    return found


def _uncollected_run(months: list[tuple[str, bool]]) -> list[str]:
    """The latest run of consecutive calendar months whose cash went uncollected."""
    run: list[str] = []
    for period, collected in months:
        if collected:
            run = []
        elif run and not _follows(run[-1], period):
            run = [period]
        else:
            run.append(period)
    return run


def _to_terminate(session: Session, today: date, months: int) -> Iterable[tuple[Enrolment, date]]:
    query = (
        select(Enrolment, EnrolmentVersion.effective_date)
        .join(
            EnrolmentVersion,
            (EnrolmentVersion.enrolment_id == Enrolment.id)
            & (EnrolmentVersion.version == Enrolment.current_version),
        )
        .where(
            Enrolment.status == "suspended",
            EnrolmentVersion.change == "suspended",
            EnrolmentVersion.status_reason.like(f"{REASON}:%"),
        )
        .order_by(Enrolment.id)
    )
    for enrolment, since in session.execute(query).all():
        if _add_months(since, months) <= today:
            yield enrolment, since


def _active_enrolments(session: Session, people: list[int]) -> list[Enrolment]:
    query = select(Enrolment).where(Enrolment.beneficiary_id.in_(people), Enrolment.status == "active")
    return list(session.scalars(query.order_by(Enrolment.id)))


def _last_resumed(session: Session, people: list[int]) -> dict[int, datetime]:
    """When an officer last resumed one of each person's enrolments."""
    query = (
        select(Enrolment.beneficiary_id, EnrolmentVersion.recorded_at)
        .join(EnrolmentVersion, EnrolmentVersion.enrolment_id == Enrolment.id)
        .where(Enrolment.beneficiary_id.in_(people), EnrolmentVersion.change == "resumed")
    )
    found: dict[int, datetime] = {}
    for person, at in session.execute(query):
        found[person] = max(at, found.get(person, at))
    return found


def _months_back(today: date, months: int) -> str:
    """The period `months` months before today's, e.g. 2025-10-05, 3 -> '2025-07'."""
    period = Period.of(today)
    for _ in range(months):
        period = period.previous()
    return str(period)


def _follows(earlier: str, later: str) -> bool:
    return Period.parse(earlier).next() == Period.parse(later)


def _add_months(day: date, months: int) -> date:
    period = Period.of(day)
    for _ in range(months):
        period = period.next()
    return period.first_day.replace(day=min(day.day, period.last_day.day))
