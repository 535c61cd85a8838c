"""Which months an accrual run brings up to date, and for whom.

The month being accrued, for everyone; every earlier month whose figures changed since the
previous run (a late rate decree) for everyone; and, for one person, every accrued month from
the first one a late decision or death touches.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from payments.entitlements import accrued as ledger_view
from payments.entitlements.period import Period


@dataclass(frozen=True)
class Plan:
    """Which months to bring up to date, for whom."""

    period: Period
    everyone: tuple[Period, ...]  # months recomputed for every person (includes `period`), in order
    people_from: dict[int, Period]  # one person: every accrued month from this one

    def months_for(self, beneficiary_id: int, accrued: list[Period]) -> list[Period]:
        start = self.people_from.get(beneficiary_id)
        if start is None:
            return list(self.everyone)  # most people: asked once each per run
        extra = [p for p in accrued if p >= start]
        return sorted(set(self.everyone) | set(extra))


def plan_run(session: Session, period: Period, recompute: tuple[Period, Period] | None) -> Plan:
    """The months to recompute: those asked for, or those touched by changes since the last run."""
    accrued = ledger_view.accrued_periods(session, before=period)
    if recompute is not None:
        first, last = recompute
        months = {p for p in accrued if first <= p <= last} | {period}
        return Plan(period, tuple(sorted(months)), {})
    since = ledger_view.previous_run_started(session)
    if since is None:
        return Plan(period, (period,), {})
    changes = ledger_view.changes_since(session, since, accrued)
    return Plan(period, tuple(sorted(changes.rate_periods | {period})), changes.people_from)
