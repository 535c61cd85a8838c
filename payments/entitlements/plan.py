"""Which months an accrual run brings up to date, and for whom.

The month being accrued, for everyone; every earlier month whose figures changed since the
previous run (a late rate decree) for everyone; the accrued months of a span asked for, for
everyone; and, for one person, every accrued month from the first one a late decision or
death touches.
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
    """The months to recompute: those touched by changes since the last run, and for everyone
    the accrued months within `recompute` (first, last), if given.

    A span adds to the changes, never replaces them: every run is recorded as the next run's
    starting point, so a change this run did not bring up to date would never be."""
    accrued = ledger_view.accrued_periods(session, before=period)
    asked: set[Period] = set()
    if recompute is not None:
        first, last = recompute
        asked = {p for p in accrued if first <= p <= last}
    since = ledger_view.previous_run_started(session)
    changes = ledger_view.Changes() if since is None else ledger_view.changes_since(session, since, accrued)
    months = changes.rate_periods | asked | {period}
    return Plan(period, tuple(sorted(months)), changes.people_from)
