"""Time, always timezone-aware UTC. Services take a clock so tests can fix it.

Business dates (the day a payout is initiated, a status change takes effect, the month being
accrued) are Vietnam's calendar days: `local_date`. Between 00:00 and 07:00 in Hanoi the UTC
date is still yesterday's, and a termination recorded at 06:00 on the 1st would otherwise take
effect in the month before.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

Clock = Callable[[], datetime]
VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving


def local_date(moment: datetime) -> date:
    """The calendar day in Vietnam at an aware `moment`."""
    return moment.astimezone(VIETNAM).date()


def utcnow() -> datetime:
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    if moment.tzinfo is None:
        raise ValueError("a clock must be timezone-aware")
    return lambda: moment
