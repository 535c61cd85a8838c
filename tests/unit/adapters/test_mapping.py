"""Wire messages map to protocol values; anything malformed is a protocol error, not a crash."""

from datetime import UTC, date, datetime

import pytest

from payments.adapters.bank_api import mapping as bank
from payments.adapters.bank_api.client import parse_time
from payments.adapters.creditors import WalletAccount
from payments.adapters.errors import AdapterProtocolError, AdapterUnsupported, CallbackRejected
from payments.adapters.ewallet import mapping as wallet
from payments.adapters.messages import PayoutInstruction
from payments.adapters.vocabulary import Direction, PayoutStatus, ReasonCode
from tests.unit.adapters.offline import offline_bank_adapter


@pytest.mark.parametrize(
    ("wire", "status"),
    [("ACSC", PayoutStatus.SETTLED), ("ACSP", PayoutStatus.ACCEPTED), ("PDNG", PayoutStatus.ACCEPTED)],
)
def test_bank_statuses_map_to_protocol_statuses(wire, status):
    result = bank.send_result_from_wire("K", {"end_to_end_id": "K", "status": wire, "transaction_id": "FT1"})
    assert (result.status, result.reason, result.provider_reference) == (status, None, "FT1")


def test_a_bank_rejection_keeps_its_iso_reason_and_an_unknown_code_becomes_ms03():
    known = bank.send_result_from_wire("K", {"end_to_end_id": "K", "status": "RJCT", "reason": "AM04"})
    odd = bank.send_result_from_wire("K", {"end_to_end_id": "K", "status": "RJCT", "reason": "X999"})
    assert known.reason is ReasonCode.AM04
    assert (odd.reason, odd.reason_text) == (ReasonCode.MS03, "X999")


def test_a_key_reused_for_another_payout_is_unknown_never_rejected():
    result = bank.send_result_from_wire("K", {"end_to_end_id": "K", "status": "DUPLICATE_MISMATCH"})
    assert result.status is PayoutStatus.UNKNOWN


def test_a_resend_of_a_returned_payout_is_unknown_for_status_to_explain():
    assert (
        bank.send_result_from_wire("K", {"end_to_end_id": "K", "status": "RTND"}).status
        is PayoutStatus.UNKNOWN
    )
    assert (
        wallet.send_result_from_wire("K", {"order_id": "K", "status": "REFUNDED"}).status
        is PayoutStatus.UNKNOWN
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "ACSC"},
        {"end_to_end_id": "K", "status": "WHAT"},
        {"end_to_end_id": "K", "status": None},
    ],
)
def test_a_malformed_bank_result_is_a_protocol_error(payload):
    with pytest.raises(AdapterProtocolError):
        bank.send_result_from_wire("K", payload)


def test_a_bank_statement_amount_that_is_not_an_integer_is_a_protocol_error():
    payload = {
        "account": "A",
        "date": "2025-01-31",
        "opening_balance": 10,
        "closing_balance": 10,
        "entries": [],
    }
    assert bank.statement_from_wire(payload).day == date(2025, 1, 31)
    with pytest.raises(AdapterProtocolError, match="not an integer"):
        bank.statement_from_wire(payload | {"closing_balance": 10.5})


def test_bank_status_carries_amount_and_time():
    result = bank.status_from_wire(
        "K",
        {"status": "RTND", "reason": "AC04", "amount": 5, "updated_at": "2025-01-31T10:00:00Z"},
        parse_time,
    )
    assert (result.status, result.reason, result.amount_vnd) == (PayoutStatus.RETURNED, ReasonCode.AC04, 5)
    assert result.as_of == datetime(2025, 1, 31, 10, tzinfo=UTC)


def test_the_bank_adapter_pays_bank_accounts_only():
    payout = PayoutInstruction(
        payout_key="K",
        amount_vnd=1,
        creditor=WalletAccount(provider="m", phone="0912345678"),
        beneficiary_name="A",
    )
    with pytest.raises(TypeError):
        bank.transfer_to_wire(payout)
    adapter = offline_bank_adapter()
    with pytest.raises(AdapterUnsupported):
        adapter.send([payout])


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("WALLET_NOT_FOUND", ReasonCode.AC01),
        ("WALLET_CLOSED", ReasonCode.AC04),
        ("WALLET_LOCKED", ReasonCode.AC06),
        ("INSUFFICIENT_BALANCE", ReasonCode.AM04),
    ],
)
def test_wallet_error_codes_map_to_iso_reasons(code, reason):
    result = wallet.send_result_from_wire("K", {"order_id": "K", "status": "FAILED", "error_code": code})
    assert (result.status, result.reason) == (PayoutStatus.REJECTED, reason)


def test_a_malformed_wallet_callback_is_rejected_as_a_callback():
    with pytest.raises(CallbackRejected):
        wallet.callback_from_wire({"event_id": "e", "order_id": "K", "status": "SUCCESS"}, CallbackRejected)


def test_the_settlement_report_round_trips_and_refuses_other_columns():
    csv_text = wallet.statement_to_csv(
        [
            {"record_type": "OPENING", "amount": 1_000},
            {
                "record_type": "ENTRY",
                "order_id": "K",
                "amount": 400,
                "direction": "DBIT",
                "status": "SUCCESS",
            },
            {"record_type": "CLOSING", "amount": 600},
        ]
    )
    statement = wallet.statement_from_csv(csv_text, "PARTNER", date(2025, 1, 31))
    assert statement.is_balanced
    assert [(e.end_to_end_id, e.direction) for e in statement.entries] == [("K", Direction.DEBIT)]
    with pytest.raises(AdapterProtocolError, match="columns"):
        wallet.statement_from_csv("a,b\n1,2\n", "PARTNER", date(2025, 1, 31))
    with pytest.raises(AdapterProtocolError):
        wallet.statement_from_csv(csv_text.replace("400", "400.5"), "PARTNER", date(2025, 1, 31))
