"""How the console writes money, times and instruments."""

from datetime import UTC, date, datetime

import pytest

from payments.console.formatting import count, current_period, instrument, local_date, local_time, vnd


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(1_878_000, "1.878.000 ₫"), (0, "0 ₫"), (500, "500 ₫"), (-750_000, "-750.000 ₫"),
     (4_750_000_000_000, "4.750.000.000.000 ₫"), (None, "—")],
)  # fmt: skip
def test_amounts_are_written_the_vietnamese_way(amount, shown):
    assert vnd(amount) == shown


def test_counts_use_dots_for_thousands():
    assert count(250_000) == "250.000"


def test_times_are_shown_in_vietnam_time():
    assert local_time(datetime(2025, 6, 30, 17, 30, tzinfo=UTC)) == "01/07/2025 00:30"
    assert local_date(date(2025, 7, 1)) == "01/07/2025"


def test_the_current_period_is_the_month_under_way_in_vietnam():
    assert current_period(datetime(2025, 6, 30, 17, 0, tzinfo=UTC)) == "2025-07"
    assert current_period(datetime(2025, 6, 30, 16, 59, tzinfo=UTC)) == "2025-06"


def test_instruments_show_only_their_masked_parts():
    bank = {"kind": "bank", "bin": "970436", "account": "*******678", "holder_name": "NGUYEN THI DAO"}
    assert instrument(bank) == "970436 · *******678"
    wallet = {"kind": "ewallet", "provider": "VIETTEL_MONEY", "phone": "*******123"}
    assert instrument(wallet) == "VIETTEL_MONEY · *******123"
