"""The protocol's frozen values refuse what no adapter should ever see."""

from datetime import UTC, date, datetime

import pytest

from payments.adapters.creditors import BankAccount, WalletAccount, mask_account, normalise_phone
from payments.adapters.messages import (
    CallbackEvent,
    NameLookupResult,
    PayoutInstruction,
    SendResult,
    StatusResult,
)
from payments.adapters.statements import Statement, StatementLine
from payments.adapters.vocabulary import Direction, PayoutStatus, ReasonCode

ACCOUNT = BankAccount(bin="970436", account_number="0011002233", holder_name="NGUYEN THI DAO")


def instruction(**changes):
    fields = {
        "payout_key": "P-2025-01-000001",
        "amount_vnd": 500_000,
        "creditor": ACCOUNT,
        "beneficiary_name": "Nguyễn Thị Đào",
    }
    return PayoutInstruction(**{**fields, **changes})


def test_a_payout_key_longer_than_an_end_to_end_id_is_refused():
    assert instruction(payout_key="K" * 35).payout_key == "K" * 35
    with pytest.raises(ValueError, match="payout_key"):
        instruction(payout_key="K" * 36)


@pytest.mark.parametrize("key", ["", "has space", "đ-unicode"])
def test_a_payout_key_must_be_printable_ascii_without_spaces(key):
    with pytest.raises(ValueError, match="payout_key"):
        instruction(payout_key=key)


@pytest.mark.parametrize("amount", [0, -1, 1.5, 500_000.0, True, "500000"])
def test_amounts_are_positive_integer_dong(amount):
    with pytest.raises(ValueError, match="amount_vnd"):
        instruction(amount_vnd=amount)


def test_only_vnd_is_paid():
    with pytest.raises(ValueError, match="VND"):
        instruction(currency="USD")


def test_a_bank_is_named_by_a_six_digit_bin():
    with pytest.raises(ValueError, match="BIN"):
        BankAccount(bin="97043", account_number="0011002233")
    with pytest.raises(ValueError, match="account number"):
        BankAccount(bin="970436", account_number="001-100")


@pytest.mark.parametrize(
    "raw", ["+84912345678", "84912345678", "0912 345 678", "+84 912.345.678", "0912345678"]
)
def test_wallet_phone_numbers_are_normalised_to_ten_digits(raw):
    assert WalletAccount(provider="momo", phone=raw).phone == "0912345678"


@pytest.mark.parametrize("raw", ["912345678", "+8491234567", "1912345678", "09123456789", "+1 912345678"])
def test_a_phone_that_is_not_a_vietnamese_mobile_number_is_refused(raw):
    with pytest.raises(ValueError, match="phone"):
        normalise_phone(raw)


def test_masking_keeps_only_the_last_three_characters():
    assert mask_account("0011002233") == "*******233"
    assert ACCOUNT.masked == "970436/*******233"
    assert WalletAccount(provider="momo", phone="0912345678").masked == "momo/*******678"


def test_a_rejection_needs_a_reason_and_only_a_rejection_or_return_has_one():
    with pytest.raises(ValueError, match="reason"):
        SendResult(payout_key="K", status=PayoutStatus.REJECTED)
    with pytest.raises(ValueError, match="reason"):
        SendResult(payout_key="K", status=PayoutStatus.SETTLED, reason=ReasonCode.AC01)
    assert StatusResult(payout_key="K", status=PayoutStatus.RETURNED, reason=ReasonCode.AC04).reason == "AC04"


@pytest.mark.parametrize("status", [PayoutStatus.RETURNED, PayoutStatus.NOT_FOUND])
def test_send_reports_only_accepted_settled_rejected_or_unknown(status):
    with pytest.raises(ValueError, match="send"):
        SendResult(payout_key="K", status=status)


def test_a_callback_carries_an_aware_time_and_a_definite_status():
    with pytest.raises(ValueError, match="timezone"):
        CallbackEvent(
            event_id="e", payout_key="K", status=PayoutStatus.SETTLED, occurred_at=datetime(2025, 1, 1)
        )
    with pytest.raises(ValueError, match="callback"):
        CallbackEvent(
            event_id="e", payout_key="K", status=PayoutStatus.UNKNOWN, occurred_at=datetime.now(UTC)
        )


def test_a_statement_balances_when_entries_explain_the_closing_balance():
    day = date(2025, 1, 31)
    out = StatementLine(amount_vnd=500_000, direction=Direction.DEBIT, booking_date=day, end_to_end_id="K1")
    back = StatementLine(
        amount_vnd=200_000, direction=Direction.CREDIT, booking_date=day, reason=ReasonCode.AC04
    )
    statement = Statement(
        account_id="A",
        day=day,
        opening_balance_vnd=1_000_000,
        closing_balance_vnd=700_000,
        entries=(out, back),
    )
    assert (out.signed_amount_vnd, back.signed_amount_vnd) == (-500_000, 200_000)
    assert statement.is_balanced
    assert not Statement(account_id="A", day=day, opening_balance_vnd=1, closing_balance_vnd=2).is_balanced


def test_statement_amounts_are_positive_with_the_sign_in_the_direction():
    with pytest.raises(ValueError, match="positive"):
        StatementLine(amount_vnd=-5, direction=Direction.DEBIT, booking_date=date(2025, 1, 1))


def test_a_name_lookup_matches_only_a_found_holder_with_the_same_folded_name():
    assert NameLookupResult(found=True, reported_name="NGUYEN THI DAO").matches("Nguyễn Thị Đào")
    assert not NameLookupResult(found=True, reported_name="NGUYEN THI DAO").matches("Nguyễn Thị Đào Anh")
    assert not NameLookupResult(found=False, reason=ReasonCode.AC01).matches("")
