"""Wire answers map under the key we sent and never read a duplication refusal as a rejection."""

import pytest

from payments.adapters.bank_api import mapping as bank
from payments.adapters.errors import AdapterProtocolError, CallbackRejected
from payments.adapters.ewallet import mapping as wallet
from payments.adapters.vnpost import mapping as post
from payments.adapters.vocabulary import PayoutStatus, ReasonCode


def test_a_wallet_answer_naming_another_order_is_a_protocol_error():
    with pytest.raises(AdapterProtocolError, match="about order 'K-2'"):
        wallet.send_result_from_wire("K-1", {"order_id": "K-2", "status": "SUCCESS"})
    with pytest.raises(AdapterProtocolError):
        wallet.status_from_wire("K-1", {"order_id": "K-2", "status": "FAILED", "error_code": "WALLET_CLOSED"})


def test_a_wallet_answer_without_an_order_id_is_a_protocol_error():
    with pytest.raises(AdapterProtocolError, match="malformed"):
        wallet.send_result_from_wire("K-1", {"status": "PROCESSING"})


def test_bank_results_are_one_per_key_sent_in_order_and_a_missing_one_is_unknown():
    items = [
        {"end_to_end_id": "K-2", "status": "RJCT", "reason": "AC04"},
        {"end_to_end_id": "K-1", "status": "ACSC"},
    ]
    results = bank.send_results_from_wire(["K-1", "K-2", "K-3"], items)
    assert [(r.payout_key, r.status, r.reason) for r in results] == [
        ("K-1", PayoutStatus.SETTLED, None),
        ("K-2", PayoutStatus.REJECTED, ReasonCode.AC04),
        ("K-3", PayoutStatus.UNKNOWN, None),
    ]


@pytest.mark.parametrize(
    "items",
    [
        [
            {"end_to_end_id": "K-1", "status": "ACSC"},
            {"end_to_end_id": "K-1", "status": "RJCT", "reason": "AC04"},
        ],
        [
            {"end_to_end_id": "K-1", "status": "ACSC"},
            {"end_to_end_id": "K-7", "status": "RJCT", "reason": "AC04"},
        ],
        "not a list of results",
    ],
)
def test_a_bulk_answer_about_keys_not_sent_or_named_twice_is_a_protocol_error(items):
    with pytest.raises(AdapterProtocolError):
        bank.send_results_from_wire(["K-1", "K-2"], items)


def test_a_bank_status_naming_another_payout_is_a_protocol_error():
    with pytest.raises(AdapterProtocolError):
        bank.status_from_wire("K-1", {"end_to_end_id": "K-2", "status": "RJCT", "reason": "AC04"}, str)


def test_a_post_office_status_naming_another_order_is_a_protocol_error():
    with pytest.raises(AdapterProtocolError):
        post.status_from_wire(
            "K-1", {"order_ref": "K-2", "state": "REFUSED", "error_code": "UNKNOWN_COMMUNE"}
        )


@pytest.mark.parametrize("code", ["AM05", "DU01", "DU05"])
def test_a_bank_rjct_for_duplication_is_unknown(code):
    sent = bank.send_result_from_wire("K", {"end_to_end_id": "K", "status": "RJCT", "reason": code})
    asked = bank.status_from_wire("K", {"end_to_end_id": "K", "status": "RJCT", "reason": code}, str)
    assert (sent.status, asked.status) == (PayoutStatus.UNKNOWN, PayoutStatus.UNKNOWN)


def test_a_wallet_callback_refusing_an_order_as_a_duplicate_is_not_acted_on():
    event = {"event_id": "e", "order_id": "K", "status": "FAILED", "error_code": "ORDER_ID_CONFLICT",
             "amount": 5, "occurred_at": 1_700_000_000}  # fmt: skip
    with pytest.raises(CallbackRejected, match="duplicate"):
        wallet.callback_from_wire(event, CallbackRejected)
    refused = wallet.callback_from_wire(event | {"error_code": "WALLET_CLOSED"}, CallbackRejected)
    assert (refused.status, refused.reason) == (PayoutStatus.REJECTED, ReasonCode.AC04)


def test_a_post_office_callback_refusing_an_order_as_a_duplicate_is_not_acted_on():
    event = {"event_id": "e", "order_ref": "K", "state": "REFUSED", "error_code": "AM05",
             "amount": 5, "occurred_at": 1_700_000_000}  # fmt: skip
    with pytest.raises(CallbackRejected, match="duplicate"):
        post.callback_from_wire(event, CallbackRejected)
