"""Business dates are Vietnam's calendar days (UTC+7 all year): from midnight to 07:00 in Hanoi
the UTC date is still the day before."""

from datetime import UTC, date, datetime

import pytest

from payments.adapters.messages import CallbackEvent
from payments.adapters.vocabulary import PayoutStatus
from payments.clock import local_date
from payments.reconcile.sources import callback_line


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2024, 8, 31, 16, 59, tzinfo=UTC), date(2024, 8, 31)),  # 23:59 in Hanoi
        (datetime(2024, 8, 31, 17, 0, tzinfo=UTC), date(2024, 9, 1)),  # midnight in Hanoi
        (datetime(2024, 12, 31, 23, 0, tzinfo=UTC), date(2025, 1, 1)),  # 06:00 on New Year's Day
        (datetime.fromisoformat("2024-09-01T06:00:00+07:00"), date(2024, 9, 1)),
    ],
)
def test_a_moment_falls_on_the_day_it_is_in_hanoi(moment, day):
    assert local_date(moment) == day


def test_a_callback_at_dawn_in_hanoi_is_booked_on_that_day():
    event = CallbackEvent(
        event_id="ev-1",
        payout_key="2409-00000001-01-BTXH",
        status=PayoutStatus.SETTLED,
        occurred_at=datetime(2024, 8, 31, 22, 30, tzinfo=UTC),  # 05:30 on 1 September in Hanoi
    )
    assert callback_line(event).booking_date == date(2024, 9, 1)
